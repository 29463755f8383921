/**
 * One site's clock jumps ten minutes ahead (chaos/skewed-site.ts moves every read of its
 * clock, and its alarms with it). By its clock the edge's tokens have expired, and the
 * times in its digests are ten minutes off: the edge must see it, plan nothing new there,
 * keep what it holds there, call everything once, and plan there again once the clock is right.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Mesh } from "../../federation/node/launcher/mesh.ts";
import { judge } from "../../chaos/ledger.ts";
import type { When } from "../../chaos/traffic.ts";
import { call, eventually } from "../node/mesh-client.ts";
import { PORTS } from "../node/ports.ts";
import { startRepairMesh, type RepairMesh } from "./repair-mesh.ts";

let chaos: RepairMesh;
let mesh: Mesh;
const admin = () => ({ authorization: `Bearer ${mesh.adminToken}` });
const askMany = (tag: string, whens: When[]) => chaos.askMany(tag, whens);
const statusOf = (confirmation: string) => chaos.statusOf(confirmation);
const austinSeen = async () =>
  ((await call(mesh.urls.edge, "GET", "/v1/mesh", undefined, admin())).body.members as { siteId: string; health: string; clockSkewMs: number | null }[]).find((m) => m.siteId === "austin")!;
const setAustinClock = async (skewMs: number) => expect((await call(mesh.urls.sites.austin!, "PUT", "/_chaos/clock", { skewMs }, admin())).status).toBe(200);

// Austin has the strongest repair agents, so the cloud plans there first; Paris can take over.
beforeAll(async () => {
  chaos = await startRepairMesh("chaos-clock", PORTS.chaosClock, { siteEntrypoint: path.resolve(import.meta.dirname, "../../chaos/skewed-site.ts") });
  mesh = chaos.mesh;
}, 90_000);

afterAll(() => chaos?.stop());

const plannedAt = (confirmation: string, siteId: string) => eventually(() => statusOf(confirmation), (cb) => cb.status === "scheduled" && cb.agent?.siteId === siteId, 30_000);

describe("a site's clock jumps ten minutes ahead", () => {
  it("is seen at the edge and planned on no more; what it holds stays held, the rest is called from elsewhere, once; it is planned on again once its clock is right", async () => {
    // Hours ahead, in slots of their own: held at Austin, called much later.
    const later = await askMany("later", Array.from({ length: 4 }, (_, i): When => ({ fromNowMinutes: 120 + 30 * i, minutes: 30 })));
    for (const c of later) await plannedAt(c, "austin");

    await setAustinClock(10 * 60_000);
    // Its next digest (a second or so) carries its clock: stale at the edge, ten minutes ahead.
    const seen = await eventually(austinSeen, (m) => m.health === "stale", 20_000);
    expect(Math.abs(seen.clockSkewMs! - 600_000)).toBeLessThan(5_000);

    // Calls due now go to Paris, and are dialed once each.
    const now = await askMany("now", [{ asap: true }, { asap: true }]);
    for (const c of now) expect((await eventually(() => statusOf(c), (cb) => cb.status === "connected", 60_000)).agent.siteId).toBe("paris");
    const [next] = await askMany("next", [{ fromNowMinutes: 300, minutes: 30 }]);
    await plannedAt(next!, "paris");
    // What Austin held is kept, not moved: it still answers, and its agents are still its own.
    for (const c of later) expect((await statusOf(c)).agent.siteId).toBe("austin");

    await setAustinClock(0);
    await eventually(austinSeen, (m) => m.health === "up" && Math.abs(m.clockSkewMs!) < 5_000, 20_000);
    const [after] = await askMany("after", [{ fromNowMinutes: 360, minutes: 30 }]);
    await plannedAt(after!, "austin");

    const { broken, ledger } = await judge(chaos.address(), chaos.accepted);
    expect(broken).toEqual([]);
    expect(ledger.unreadSites).toEqual([]);
  });
});
