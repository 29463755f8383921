/**
 * The edge's runtime SIGKILLed at the worst moments of firing a callback: after the attempt
 * is recorded and before the dial is answered, and after the dial and before its outcome is
 * applied. The runtime is started again on its state (by wrangler, as a deployment's would
 * be); every callback must still be called once and end where it should.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Mesh } from "../../federation/node/launcher/mesh.ts";
import { judge } from "../../chaos/ledger.ts";
import { killRuntime, whenAnswering } from "../../chaos/processes.ts";
import { startTelephony, type Telephony } from "../../chaos/telephony.ts";
import { callbackAsOps, heardAvailable, heartbeats, requestCallback, seedAgents } from "../../chaos/traffic.ts";
import { acmeAllDay, call, eventually, freshMesh } from "../node/mesh-client.ts";
import { PORTS } from "../node/ports.ts";

const SECRET = "chaos-telephony-secret-0123456789";
let mesh: Mesh;
let stop: () => Promise<void>;
let tel: Telephony;
const accepted: string[] = [];
const desks: { site: string; id: string }[] = [];
let beating: { stop(): void } | undefined;

const admin = () => ({ authorization: `Bearer ${mesh.adminToken}` });
const address = () => ({ edge: mesh.urls.edge, sites: mesh.urls.sites, adminToken: mesh.adminToken });
const edgeState = () => path.join(mesh.stateDir, "edge");

beforeAll(async () => {
  ({ mesh, stop } = await freshMesh("chaos-edge", PORTS.chaosEdge.edge, PORTS.chaosEdge.site));
  tel = await startTelephony({ port: PORTS.chaosEdge.telephony, secret: SECRET, edge: () => mesh.urls.edge });
  const own = await acmeAllDay("chaos-own", { webhook: { url: tel.url, secret: SECRET } });
  const simulated = await acmeAllDay("chaos-sim");
  for (const p of [own, simulated]) expect((await call(mesh.urls.edge, "POST", "/v1/providers", p, admin())).status).toBe(201);
  // Six repair agents over the three sites, all free: every callback below is taken at once.
  const sites = Object.values(mesh.urls.sites);
  for (let i = 0; i < 6; i++) desks.push(...(await seedAgents(sites[i % sites.length]!, mesh.adminToken, [{ id: `a${i}`, skills: { appliance_repair: 3 + (i % 3) } }])));
  beating = heartbeats(mesh.adminToken, () => desks);
  await eventually(() => heardAvailable(mesh.urls.edge, mesh.adminToken), (by) => Object.values(by).reduce((n, a) => n + a, 0) >= 6);
}, 90_000);

afterAll(async () => {
  beating?.stop();
  await tel?.close();
  await stop?.();
});

async function ask(providerId: string, user: string): Promise<string> {
  // The edge may still be coming back from the previous scenario's kill.
  await whenAnswering(mesh.urls.edge);
  const asked = await requestCallback(mesh.urls.edge, providerId, { user, when: { asap: true }, reason: "the dryer makes a loud banging noise", phone: "+15125550142" });
  expect(asked.status, JSON.stringify(asked.body)).toBe(201);
  accepted.push(asked.confirmation!);
  return asked.confirmation!;
}

const statusOf = (confirmation: string) => callbackAsOps(mesh.urls.edge, mesh.adminToken, confirmation);

describe("the edge killed while it fires", () => {
  it("between recording the attempt and the dial's answer: the same key is asked again after the restart, and dialed once", async () => {
    let killed: number | null = null;
    tel.hook = (_, seen) => {
      if (seen === 1 && killed === null) {
        killed = killRuntime(edgeState());
        return "drop";
      }
      return "answer";
    };
    const confirmation = await ask("chaos-own", "edge-1");
    const connected = await eventually(() => statusOf(confirmation), (cb) => cb.status === "connected", 60_000);
    expect(killed, "the edge's runtime was killed mid-dial").not.toBeNull();
    const dials = tel.dials().filter((d) => d.confirmation === confirmation);
    expect(dials).toHaveLength(1);
    expect(tel.requests(dials[0]!.idempotencyKey)).toBeGreaterThanOrEqual(2);
    expect(connected.attempts).toHaveLength(1);
    const { broken } = await judge(address(), accepted, { dials: () => tel.dials() });
    expect(broken).toEqual([]);
  });

  it("between the dial and applying its outcome: the outcome, reported again, is applied once", async () => {
    let killed: number | null = null;
    tel.hook = () => {
      // Answered first: the kill lands once the dial is done and before its outcome can be taken.
      if (killed === null) setImmediate(() => (killed = killRuntime(edgeState())));
      return "answer";
    };
    const confirmation = await ask("chaos-own", "edge-2");
    const connected = await eventually(() => statusOf(confirmation), (cb) => cb.status === "connected", 60_000);
    expect(killed).not.toBeNull();
    expect(tel.dials().filter((d) => d.confirmation === confirmation)).toHaveLength(1);
    expect(connected.history.filter((e: { type: string }) => e.type === "outcome")).toHaveLength(1);
    const { broken } = await judge(address(), accepted, { dials: () => tel.dials() });
    expect(broken).toEqual([]);
  });

  it("during a burst on the simulated media server: every callback is connected, none under two keys", async () => {
    tel.hook = () => "answer";
    const burst = await Promise.all([0, 1, 2, 3].map((i) => ask("chaos-sim", `edge-burst-${i}`)));
    // The first dial logged: the edge is in the middle of firing the burst.
    await eventually(
      async () => (await call(mesh.urls.edge, "GET", "/v1/media/dials?limit=1000", undefined, admin())).body.dials as { confirmation: string }[],
      (ds) => ds.some((d) => burst.includes(d.confirmation)),
      30_000,
    );
    killRuntime(edgeState());
    await whenAnswering(mesh.urls.edge);
    for (const confirmation of burst) await eventually(() => statusOf(confirmation), (cb) => cb.status === "connected", 60_000);
    const { broken } = await judge(address(), burst);
    expect(broken).toEqual([]);
  });
});
