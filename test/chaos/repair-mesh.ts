/**
 * The mesh most chaos scenarios start from: three sites, a provider open around the clock
 * under the scenario's name, Austin's three repair agents the strongest (5) and Paris's three
 * next (3), every desk's heartbeat going; and the callbacks asked of it, kept for the verdict.
 */
import type { MeshAddress } from "../../chaos/ledger.ts";
import { callbackAsOps, customerPhone, heardAvailable, heartbeats, requestCallback, seedAgents, type When } from "../../chaos/traffic.ts";
import type { Mesh } from "../../federation/node/launcher/mesh.ts";
import type { MeshOptions } from "../../federation/node/launcher/options.ts";
import { acmeAllDay, call, eventually, freshMesh } from "../node/mesh-client.ts";

export interface RepairMesh {
  mesh: Mesh;
  /** Every callback accepted so far: what the scenario is judged on. */
  accepted: string[];
  /** The agents whose heartbeats go on; a scenario may add its own. */
  desks: { site: string; id: string }[];
  address(): MeshAddress;
  statusOf(confirmation: string): Promise<any>;
  /** Asks for a repair callback per window at once; each must be accepted. */
  askMany(tag: string, whens: When[]): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startRepairMesh(providerId: string, ports: { edge: number; site: number }, over: Partial<MeshOptions> = {}): Promise<RepairMesh> {
  const { mesh, stop } = await freshMesh(providerId, ports.edge, ports.site, over);
  const accepted: string[] = [];
  const desks: { site: string; id: string }[] = [];
  const beating = heartbeats(mesh.adminToken, () => desks);
  const registered = await call(mesh.urls.edge, "POST", "/v1/providers", await acmeAllDay(providerId), { authorization: `Bearer ${mesh.adminToken}` });
  if (registered.status !== 201) throw new Error(`registering ${providerId}: ${registered.status}`);
  desks.push(...(await seedAgents(mesh.urls.sites.austin!, mesh.adminToken, [0, 1, 2].map((i) => ({ id: `au${i}`, skills: { appliance_repair: 5 } })))));
  desks.push(...(await seedAgents(mesh.urls.sites.paris!, mesh.adminToken, [0, 1, 2].map((i) => ({ id: `pa${i}`, skills: { appliance_repair: 3 } })))));
  await eventually(() => heardAvailable(mesh.urls.edge, mesh.adminToken), (by) => by.austin === 3 && by.paris === 3);
  return {
    mesh,
    accepted,
    desks,
    address: () => ({ edge: mesh.urls.edge, sites: mesh.urls.sites, adminToken: mesh.adminToken }),
    statusOf: (confirmation) => callbackAsOps(mesh.urls.edge, mesh.adminToken, confirmation),
    async askMany(tag, whens) {
      const answers = await Promise.all(
        whens.map((when, i) => requestCallback(mesh.urls.edge, providerId, { user: `${tag}-${i}`, when, reason: "the dryer makes a loud banging noise", phone: customerPhone(accepted.length + i) })),
      );
      const refused = answers.find((a) => a.status !== 201);
      if (refused) throw new Error(`a callback was refused: ${refused.status} ${JSON.stringify(refused.body)}`);
      const confirmations = answers.map((a) => a.confirmation!);
      accepted.push(...confirmations);
      return confirmations;
    },
    async stop() {
      beating.stop();
      await stop();
    },
  };
}
