/**
 * The scheduler on the local mesh, in real workerd processes with real libp2p peers:
 * a customer's reason, worded unlike any of the provider's examples, is understood,
 * and the callback goes to the strongest repair agent available anywhere in the
 * mesh — not to a stronger one who is logged off, nor to one who only has a little
 * of the skill, nor to the site the provider lists first.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Mesh } from "../../federation/node/launcher/mesh.ts";
import { acmeAllDay, call, eventually, freshMesh } from "./mesh-client.ts";
import { PORTS } from "./ports.ts";

let mesh: Mesh;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ mesh, stop } = await freshMesh("best-agent", PORTS.bestAgent.edge, PORTS.bestAgent.site));
});

afterAll(async () => {
  await stop?.();
});

const admin = () => ({ authorization: `Bearer ${mesh.adminToken}` });

describe("the best agent of the whole mesh", () => {
  it("takes a repair callback whose reason names no appliance the examples name, wherever that agent sits", async () => {
    // Paris listed first.
    const provider = await acmeAllDay("acme-best", { sites: ["paris", "manila", "austin"] });
    expect((await call(mesh.urls.edge, "POST", "/v1/providers", provider, admin())).status).toBe(201);

    const { paris, austin, manila } = mesh.urls.sites;
    const put = async (base: string, id: string, skills: Record<string, number>, state: string | null) => {
      const res = await call(base, "PUT", `/v1/agents/${id}`, { name: id, skills, channels: ["voice"], languages: ["en"] }, admin());
      expect(res.status).toBe(201);
      if (state) expect((await call(base, "POST", `/v1/agents/${id}/status`, { state }, admin())).status).toBe(200);
      return res.body.ref as string;
    };
    await put(paris, "ana", { appliance_repair: 5 }, null); // the strongest, but logged off
    await put(paris, "gus", { billing: 5 }, "available"); // at the first-listed site, without the skill
    const cy = await put(austin, "cy", { appliance_repair: 4 }, "available"); // the strongest available
    await put(manila, "eve", { appliance_repair: 2, billing: 4 }, "available");
    await put(manila, "fay", { appliance_repair: 3 }, "available");
    await eventually(
      async () => (await call(mesh.urls.edge, "GET", "/v1/mesh", undefined, admin())).body.members as { siteId: string; agents: { available: number } }[],
      (ms) => ms.length === 3 && ms.every((m) => m.agents.available >= 1),
    );

    const offer = await call(mesh.urls.edge, "POST", "/v1/interactions", { providerId: "acme-best", user: { id: "u-best" } });
    expect(offer.status).toBe(200);
    const reason = "hey so the thing in my kitchen that keeps food cold just died, everything's going warm. can someone fix it";
    const created = await call(
      mesh.urls.edge,
      "POST",
      "/v1/callbacks",
      { indicia: offer.body.token, when: { asap: true }, media: ["voice"], contact: { phone: "+15125550142" }, reason },
      { "idempotency-key": crypto.randomUUID() },
    );
    expect(created.status).toBe(201);
    expect(created.body.intent).toBe("repair");

    // Answered before the plan; the cloud's alarm plans it at once.
    const staffView = await eventually(
      () => call(mesh.urls.edge, "GET", `/v1/callbacks/${created.body.confirmation}`, undefined, admin()),
      (r) => r.body.agent != null,
    );
    expect(staffView.body.agent).toEqual({ id: cy, siteId: "austin" });
    const assigned = staffView.body.history.find((e: { type: string }) => e.type === "agent_assigned");
    expect(assigned.detail).toMatchObject({ siteId: "austin", agentId: cy, level: 4 });
  }, 60_000);
});
