/**
 * The product end to end on the local mesh, in real workerd processes with real
 * libp2p peers on real time: availability gossiped between members, a callback
 * requested at the edge that fires through the simulated media server and shows
 * every step, and a site that dies, ages out and loses its callbacks to others.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Mesh } from "../../federation/node/launcher/mesh.ts";
import { acmeAllDay, call, eventually, freshMesh } from "./mesh-client.ts";
import { PORTS } from "./ports.ts";

let mesh: Mesh;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ mesh, stop } = await freshMesh("e2e", PORTS.e2e.edge, PORTS.e2e.site));
});

afterAll(async () => {
  await stop?.();
});

const admin = () => ({ authorization: `Bearer ${mesh.adminToken}` });
/** One member as the edge's mesh view shows it. */
const memberAtEdge = (siteId: string) => async () =>
  ((await call(mesh.urls.edge, "GET", "/v1/mesh", undefined, admin())).body.members as { siteId: string; health: string; digestAgeMs: number }[]).find(
    (m) => m.siteId === siteId,
  )!;
const health = async (base: string) =>
  Object.fromEntries(((await call(base, "GET", "/v1/mesh", undefined, admin())).body.members as { siteId: string; health: string }[]).map((m) => [m.siteId, m.health]));

describe("gossip on the local mesh", () => {
  it("brings every site's digest to the edge and to every other site over libp2p", async () => {
    const all = await eventually(() => health(mesh.urls.edge), (h) => ["paris", "austin", "manila"].every((s) => h[s] === "up"));
    expect(all).toEqual({ paris: "up", austin: "up", manila: "up" });
    const atParis = await eventually(() => health(mesh.urls.sites.paris), (h) => h.austin === "up" && h.manila === "up");
    expect(atParis).toMatchObject({ austin: "up", manila: "up" });
    // Each node's own peer reports itself: connected to the others, counting what it accepted and refused.
    const own = await eventually(
      async () => (await call(mesh.urls.edge, "GET", "/v1/mesh", undefined, admin())).body.peer,
      (p) => p !== null && p.connected >= 3 && p.accepted > 0,
    );
    expect(own).toMatchObject({ peerId: mesh.peers.get("edge")?.peer.peerId, rejected: expect.any(Object) });
  });
});

describe("a callback on the local mesh", () => {
  it("is requested at the edge, fires at once with the repair agent, and shows every step", async () => {
    const admin = { authorization: `Bearer ${mesh.adminToken}` };
    const provider = await acmeAllDay("acme-24");
    expect((await call(mesh.urls.edge, "POST", "/v1/providers", provider, admin)).status).toBe(201);

    const sites = mesh.urls.sites;
    const agent = { name: "Ana", skills: { appliance_repair: 5 }, channels: ["voice", "sms"], languages: ["en"] };
    const weaker = { ...agent, name: "Bo", skills: { appliance_repair: 3 } };
    const ana = await call(sites.manila, "PUT", "/v1/agents/ana", agent, admin);
    await call(sites.paris, "PUT", "/v1/agents/bo", weaker, admin);
    for (const [url, id] of [[sites.manila, "ana"], [sites.paris, "bo"]]) {
      expect((await call(url, "POST", `/v1/agents/${id}/status`, { state: "available" }, admin)).status).toBe(200);
    }
    // The cloud plans from gossip: wait until the edge has heard that they logged in.
    await eventually(
      async () => (await call(mesh.urls.edge, "GET", "/v1/mesh", undefined, admin)).body.members as { siteId: string; agents: { available: number } }[],
      (ms) => ms.filter((m) => ["manila", "paris"].includes(m.siteId)).every((m) => m.agents.available >= 1),
    );

    const offer = await call(mesh.urls.edge, "POST", "/v1/interactions", { providerId: "acme-24", user: { id: "u1" } });
    expect(offer.status).toBe(200);
    expect(offer.body.slots.length).toBeGreaterThan(0);
    const created = await call(
      mesh.urls.edge,
      "POST",
      "/v1/callbacks",
      { indicia: offer.body.token, when: { asap: true }, media: ["voice"], contact: { phone: "+15125550142" }, reason: "the dryer makes a loud banging noise" },
      { "idempotency-key": crypto.randomUUID() },
    );
    expect(created.status).toBe(201);
    expect(created.body.intent).toBe("repair");

    const statusPath = `/v1/callbacks/${created.body.confirmation}?verifier=${encodeURIComponent(created.body.verifier)}`;
    const fired = await eventually(
      () => call(mesh.urls.edge, "GET", statusPath),
      (r) => r.body.status === "connected",
    );
    expect(fired.body.status).toBe("connected");
    expect(fired.body.history.map((e: { type: string }) => e.type)).toEqual([
      "received",
      "intent",
      "scheduled",
      "agent_assigned",
      // The customer's confirmation, by SMS (Northstar texts): sent on the wake that planned it, before the one that dials.
      "notified",
      "dialing",
      "outcome",
      "connected",
    ]);
    // The strongest repair agent of the whole mesh took it, in Manila.
    const staffView = await call(mesh.urls.edge, "GET", `/v1/callbacks/${created.body.confirmation}`, undefined, admin);
    expect(staffView.body.agent).toEqual({ id: ana.body.ref, siteId: "manila" });
    const dials = await call(mesh.urls.edge, "GET", `/v1/media/dials?confirmation=${created.body.confirmation}`, undefined, admin);
    expect(dials.body.dials).toEqual([expect.objectContaining({ channel: "voice", to: "+15125550142", outcome: "answered", requests: 1 })]);
  });

  it("moves a callback reserved at a site that dies: the site shows down, and once its time is out its callback is re-planned", async () => {
    // A provider of its own, so the test stands alone. Austin's agent is the strongest in the billing queue; Paris has another.
    expect((await call(mesh.urls.edge, "POST", "/v1/providers", await acmeAllDay("acme-move"), admin())).status).toBe(201);
    await call(mesh.urls.sites.austin, "PUT", "/v1/agents/cy", { name: "Cy", skills: { billing: 5 }, channels: ["voice"], languages: ["en"] }, admin());
    await call(mesh.urls.sites.paris, "PUT", "/v1/agents/dee", { name: "Dee", skills: { billing: 2 }, channels: ["voice"], languages: ["en"] }, admin());
    await call(mesh.urls.sites.austin, "POST", "/v1/agents/cy/status", { state: "available" }, admin());
    await call(mesh.urls.sites.paris, "POST", "/v1/agents/dee/status", { state: "available" }, admin());
    // Wait until the edge has heard of both (gossip, not a direct read).
    await eventually(
      async () => (await call(mesh.urls.edge, "GET", "/v1/mesh", undefined, admin())).body.members as { siteId: string; agents: { available: number } }[],
      (ms) => ms.filter((m) => ["austin", "paris"].includes(m.siteId)).every((m) => m.agents.available >= 1),
    );
    const offer = await call(mesh.urls.edge, "POST", "/v1/interactions", { providerId: "acme-move", user: { id: "u2" } });
    const start = new Date(Date.now() + 2 * 3600_000);
    const created = await call(
      mesh.urls.edge,
      "POST",
      "/v1/callbacks",
      { indicia: offer.body.token, when: { start: start.toISOString(), end: new Date(start.getTime() + 3600_000).toISOString() }, media: ["voice"], contact: { phone: "+15125550199" }, reason: "I was charged twice this month" },
      { "idempotency-key": crypto.randomUUID() },
    );
    expect(created.status).toBe(201);
    const path_ = `/v1/callbacks/${created.body.confirmation}`;
    // Answered before the plan; the cloud's alarm plans it at once.
    const planned = await eventually(() => call(mesh.urls.edge, "GET", path_, undefined, admin()), (r) => r.body.agent != null);
    expect(planned.body.agent.siteId).toBe("austin");

    await mesh.stopSite("austin"); // its Worker dies; its peer lives on and must not speak for it
    // Silent for two seconds, it is asked directly (GET /healthz) and nothing answers: down at once, not stale first.
    // Structure, not a stopwatch: it is down while its last digest is still younger than the 4 × TTL that silence alone needs.
    const seen = await eventually(memberAtEdge("austin"), (m) => m.health !== "up");
    expect(seen.health).toBe("down");
    expect(seen.digestAgeMs).toBeLessThan(4 * 4_000);
    // The re-plan waits for silence alone to make it down (4 x TTL = 16 s after its last digest, then the alarm):
    // a probe shows it down sooner, but does not move its work (a runtime restarted in a second should keep it).
    const moved = await eventually(
      () => call(mesh.urls.edge, "GET", path_, undefined, admin()),
      (r) => r.body.agent?.siteId === "paris",
      30_000,
    );
    expect(moved.body.agent.siteId).toBe("paris");
    expect(moved.body.history.some((e: { type: string; detail: { why?: string } }) => e.type === "replanned" && e.detail.why === "site austin went down")).toBe(true);
    // The others never blinked.
    expect((await health(mesh.urls.edge)).paris).toBe("up");
  }, 60_000);

  it("ages out a site whose peer dies while its Worker lives, the same way", async () => {
    await eventually(memberAtEdge("manila"), (m) => m?.health === "up");
    await mesh.stopPeer("manila");
    // Stale as soon as its last digest outlives its time to live (4 s), not later; not down, since its Worker answers the probe.
    const seen = await eventually(memberAtEdge("manila"), (m) => m.health !== "up");
    expect(seen.health).toBe("stale");
    expect(seen.digestAgeMs).toBeLessThan(2 * 4_000);
    // The Worker itself still answers: only the mesh lost sight of it.
    expect((await call(mesh.urls.sites.manila, "GET", "/healthz")).status).toBe(200);
  });
});
