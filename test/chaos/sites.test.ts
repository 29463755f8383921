/**
 * A site's runtime killed while the cloud reserves at it and while it confirms (claims)
 * an agent; a site's Worker gone for long enough to be declared down, then back; a site's
 * peer gone while its Worker lives. After each, every accepted callback must be planned
 * with a hold of its own, or called, and no hold may be left behind at any site.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Mesh } from "../../federation/node/launcher/mesh.ts";
import { judge } from "../../chaos/ledger.ts";
import { killRuntime, runtimeHolding, whenAnswering } from "../../chaos/processes.ts";
import { customerPhone, heardAvailable, requestCallback, seedAgents, type When } from "../../chaos/traffic.ts";
import { call, eventually } from "../node/mesh-client.ts";
import { PORTS } from "../node/ports.ts";
import { startRepairMesh, type RepairMesh } from "./repair-mesh.ts";

let chaos: RepairMesh;
let mesh: Mesh;
const admin = () => ({ authorization: `Bearer ${mesh.adminToken}` });
const askMany = (tag: string, whens: When[]) => chaos.askMany(tag, whens);
const statusOf = (confirmation: string) => chaos.statusOf(confirmation);
const address = () => chaos.address();

// Austin has the strongest repair agents, so the cloud reserves there first; Paris can take over.
beforeAll(async () => {
  chaos = await startRepairMesh("chaos-sites", PORTS.chaosSites);
  mesh = chaos.mesh;
}, 90_000);

afterAll(() => chaos?.stop());

const siteOf = async (confirmation: string): Promise<string | null> => (await statusOf(confirmation)).agent?.siteId ?? null;

describe("a site's runtime killed", () => {
  it("while the cloud reserves at it: every callback ends with one hold, and none is left behind", async () => {
    // Hours ahead, in slots of their own: they are planned now and called much later.
    const asked = askMany("reserve", Array.from({ length: 8 }, (_, i): When => ({ fromNowMinutes: 120 + 30 * i, minutes: 30 })));
    // The cloud plans from its alarm just after each answer: the first hold at Austin means the others are being made.
    const first = await asked.then((cs) => eventually(() => Promise.all(cs.map(siteOf)), (sites) => sites.includes("austin"), 30_000).then(() => cs));
    killRuntime(path.join(mesh.stateDir, "austin"));
    await whenAnswering(mesh.urls.sites.austin!);
    for (const c of first) await eventually(() => statusOf(c), (cb) => cb.status === "scheduled" && cb.agent != null, 60_000);
    const { broken, ledger } = await judge(address(), chaos.accepted);
    expect(broken).toEqual([]);
    // Judged on every site's holds, one per callback.
    expect(ledger.unreadSites).toEqual([]);
    expect(ledger.reservations.filter((r) => r.status === "held")).toHaveLength(first.length);
  });

  it("while it confirms agents for calls due now: each is called once, by whoever could be confirmed", async () => {
    const now = await askMany("claim", [{ asap: true }, { asap: true }, { asap: true }]);
    killRuntime(path.join(mesh.stateDir, "austin"));
    for (const c of now) await eventually(() => statusOf(c), (cb) => cb.status === "connected", 60_000);
    const dials = (await call(mesh.urls.edge, "GET", "/v1/media/dials?limit=1000", undefined, { authorization: `Bearer ${mesh.adminToken}` })).body.dials as { confirmation: string }[];
    for (const c of now) expect(dials.filter((d) => d.confirmation === c)).toHaveLength(1);
    const { broken } = await judge(address(), chaos.accepted);
    expect(broken).toEqual([]);
  });
});

describe("a site's runtime killed while an agent's desk is connected", () => {
  it("leaves the desk connected: it hears the callbacks planned on its agent after the restart, and its reports go through", async () => {
    chaos.desks.push(...(await seedAgents(mesh.urls.sites.austin!, mesh.adminToken, [{ id: "au-desk", skills: { warranty: 5 } }])));
    await eventually(() => heardAvailable(mesh.urls.edge, mesh.adminToken), (by) => by.austin! >= 1);
    const token = (await call(mesh.urls.sites.austin!, "POST", "/v1/tokens", { role: "agent", agentId: "au-desk" }, admin())).body.token as string;
    const heard: { type: string; changes?: { confirmation: string; type: string }[] }[] = [];
    const ws = new WebSocket(`${mesh.urls.edge.replace("http", "ws")}/v1/desk/live`, ["callback-desk.v1", `bearer.${token}`]);
    ws.addEventListener("message", (e) => heard.push(JSON.parse(String(e.data))));
    const closed = new Promise<void>((resolve) => ws.addEventListener("close", () => resolve()));
    try {
      await eventually(async () => heard, (h) => h.some((m) => m.type === "hello"));
      const assignedToDesk = (c: string) => () => Promise.resolve(heard.some((m) => m.changes?.some((x) => x.confirmation === c && x.type === "agent_assigned")));
      const warranty = (tag: string) =>
        requestCallback(mesh.urls.edge, "chaos-sites", { user: tag, when: { fromNowMinutes: 700, minutes: 30 }, reason: "is my dryer still under warranty", phone: customerPhone(chaos.accepted.length) });
      const before = await warranty("desk-1");
      expect(before.status).toBe(201);
      chaos.accepted.push(before.confirmation!);
      await eventually(assignedToDesk(before.confirmation!), (yes) => yes, 30_000);

      killRuntime(path.join(mesh.stateDir, "austin"));
      await whenAnswering(mesh.urls.sites.austin!);
      const after = await warranty("desk-2");
      expect(after.status).toBe(201);
      chaos.accepted.push(after.confirmation!);
      await eventually(assignedToDesk(after.confirmation!), (yes) => yes, 30_000);
      expect(ws.readyState).toBe(WebSocket.OPEN);
      // The agent's desk reports, through the edge to its restarted site.
      expect((await call(mesh.urls.edge, "POST", "/v1/desk/heartbeat", undefined, { authorization: `Bearer ${token}` })).status).toBe(204);
    } finally {
      ws.close();
      await closed;
    }
    const { broken } = await judge(address(), chaos.accepted);
    expect(broken).toEqual([]);
  });
});

describe("a site's runtime frozen mid-reservation", () => {
  it("makes the hold after the cloud gave up on it: the cloud gives it back", async () => {
    const released = async () =>
      ((await call(mesh.urls.sites.austin!, "POST", "/graphql", { query: "{ site { reservations(status: RELEASED, first: 100) { id } } }" }, admin())).body.data.site
        .reservations as unknown[]).length;
    const before = await released();
    const pid = runtimeHolding(path.join(mesh.stateDir, "austin"))!;
    // Alive to the kernel: the cloud's reserve at Austin waits in its socket, the cloud times out and plans at Paris.
    process.kill(pid, "SIGSTOP");
    let confirmation: string;
    try {
      [confirmation] = await askMany("late", [{ fromNowMinutes: 600, minutes: 30 }]);
      await eventually(() => statusOf(confirmation), (cb) => cb.agent?.siteId === "paris", 15_000);
    } finally {
      // Before the supervisor's third failed check restarts it: Austin wakes and makes the hold nobody waits for.
      process.kill(pid, "SIGCONT");
    }
    await eventually(released, (n) => n > before, 60_000);
    const { broken } = await judge(address(), chaos.accepted);
    expect(broken).toEqual([]);
  });
});

describe("a site's Worker gone", () => {
  it("long enough to be down: its callbacks move, and once it is back it holds nothing for them", async () => {
    const atAustin = [];
    // The repair callbacks at Austin: Paris has repair agents to take them (the desk's warranty ones wait, with a reason).
    for (const c of chaos.accepted) {
      const cb = await statusOf(c);
      if (cb.status === "scheduled" && cb.agent?.siteId === "austin" && cb.intent === "repair") atAustin.push(c);
    }
    expect(atAustin.length).toBeGreaterThan(0);
    await mesh.stopSite("austin");
    // Down once silent for four digests' time to live, then re-planned by the cloud's alarm.
    for (const c of atAustin) await eventually(() => statusOf(c), (cb) => cb.agent?.siteId === "paris", 60_000);
    await mesh.startSite("austin");
    const { broken } = await judge(address(), chaos.accepted, { deadlineMs: 60_000 });
    expect(broken).toEqual([]);
  }, 150_000);
});

describe("gossip cut between two sites", () => {
  it("declares neither down anywhere while the others still see both: their digests go round", async () => {
    const [paris, austin] = [mesh.peers.get("paris")!.peer, mesh.peers.get("austin")!.peer];
    const healthAt = async (base: string) =>
      Object.fromEntries(((await call(base, "GET", "/v1/mesh", undefined, admin())).body.members as { siteId: string; health: string }[]).map((m) => [m.siteId, m.health]));
    paris.sever(austin.peerId);
    austin.sever(paris.peerId);
    try {
      await eventually(async () => paris.connectedPeers(), (peers) => !peers.includes(austin.peerId));
      // Watched past four digests' time to live (16 s), when silence would have made one of them down.
      const seen: string[] = [];
      for (const until = Date.now() + 20_000; Date.now() < until; ) {
        const [atEdge, atParis, atAustin] = await Promise.all([healthAt(mesh.urls.edge), healthAt(mesh.urls.sites.paris!), healthAt(mesh.urls.sites.austin!)]);
        seen.push(`edge:${atEdge.paris}/${atEdge.austin}`, `paris:${atParis.austin}`, `austin:${atAustin.paris}`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
      expect(seen.filter((h) => h.includes("down"))).toEqual([]);
      expect(paris.connectedPeers()).not.toContain(austin.peerId);
    } finally {
      paris.mend(austin.peerId);
      austin.mend(paris.peerId);
    }
    const { broken } = await judge(address(), chaos.accepted);
    expect(broken).toEqual([]);
  }, 90_000);
});

describe("a site's peer gone while its Worker lives", () => {
  it("is stale, never down, while its Worker answers: its callbacks stay, each held once", async () => {
    const later = await askMany("peerless", [{ fromNowMinutes: 400, minutes: 30 }, { fromNowMinutes: 430, minutes: 30 }]);
    for (const c of later) await eventually(() => statusOf(c), (cb) => cb.status === "scheduled" && cb.agent != null, 60_000);
    const atParis = [];
    for (const c of chaos.accepted) if ((await statusOf(c)).status === "scheduled" && (await siteOf(c)) === "paris") atParis.push(c);
    expect(atParis.length).toBeGreaterThan(0);
    const member = async () =>
      ((await call(mesh.urls.edge, "GET", "/v1/mesh", undefined, admin())).body.members as { siteId: string; health: string; digestAgeMs: number }[]).find(
        (m) => m.siteId === "paris",
      )!;
    await mesh.stopPeer("paris");
    // Silent past four times its digest's time to live (16 s), when silence alone would call it down.
    const silent = await eventually(member, (m) => m.digestAgeMs > 18_000, 40_000);
    expect(silent.health).toBe("stale");
    for (const c of atParis) expect(await siteOf(c)).toBe("paris");
    const { broken } = await judge(address(), chaos.accepted, { deadlineMs: 60_000 });
    expect(broken).toEqual([]);
  }, 120_000);
});
