/**
 * The console's service figures: callbacks by status, due within the hour, and of those
 * served, the share reached within the customer's window and the mean wait from request
 * to connection, per provider and per site; a partner sees only its own site's.
 */
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { edge, requestCallback, requestOnly, status } from "./contract.ts";
import { ADMIN, MIN, PEERS, registerAcme, runAt, staff, T0 } from "./helpers.ts";

const iso = (ms: number) => new Date(ms).toISOString();

describe("service figures", () => {
  it("count callbacks by status, due within the hour, and the served ones' share in window and mean wait", async () => {
    const clock = await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    await staff("austin", "cy", { appliance_repair: 4 });
    const now = await requestOnly();
    const later = await requestCallback({ when: { start: iso(T0 + 30 * MIN), end: iso(T0 + 45 * MIN) } }, `later-${crypto.randomUUID()}`);
    expect([now.status, later.status]).toEqual([201, 201]);
    // The first is planned two minutes after it was asked for (as soon as possible: then), dialed, and connects.
    await runAt(T0 + 2 * MIN);
    await runAt(T0 + 2 * MIN);
    expect((await status(now.body.confirmation, undefined, ADMIN)).body.status).toBe("connected");
    const done = await edge("POST", `/v1/callbacks/${now.body.confirmation}/complete`, { outcome: "resolved" }, ADMIN);
    expect(done.status).toBe(200);

    const figures = await edge("GET", "/v1/stats", undefined, ADMIN);
    expect(figures.status).toBe(200);
    expect(figures.body.total).toMatchObject({
      byStatus: expect.objectContaining({ completed: 1, scheduled: 1, failed: 0 }),
      dueNextHour: 1,
      late: 0,
      inWindowShare: 1,
      meanWaitSeconds: 120,
    });
    expect(figures.body.byProvider.map((p: { providerId: string }) => p.providerId)).toEqual(["acme"]);
    expect(figures.body.bySite).toEqual([expect.objectContaining({ siteId: "austin", inWindowShare: 1, meanWaitSeconds: 120 })]);

    // Past the later one's time, undialed (its alarm has not run): late.
    await clock.set(T0 + 40 * MIN);
    expect((await edge("GET", "/v1/stats", undefined, ADMIN)).body.total).toMatchObject({ late: 1, dueNextHour: 0 });
  });

  it("show a partner the callbacks its own site's agents hold, and no other provider or site", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    expect((await requestCallback()).status).toBe(201);
    const joined = await edge("POST", "/v1/federation/members", { siteId: "manila", peerId: PEERS.manila, trust: "partner" }, ADMIN);
    expect(joined.status).toBeLessThan(300);
    const partner = (await edge("POST", "/v1/tokens", { role: "partner", siteId: "manila" }, ADMIN)).body.token;

    const theirs = await edge("GET", "/v1/stats", undefined, partner);
    expect(theirs.status).toBe(200);
    expect(theirs.body.total.byStatus.scheduled).toBe(0);
    expect(theirs.body.byProvider).toEqual([]);
    expect(theirs.body.bySite).toEqual([]);
    // Ops see the callback the partner does not.
    expect((await edge("GET", "/v1/stats", undefined, ADMIN)).body.total.byStatus.scheduled).toBe(1);
    // Customers see nothing.
    expect((await edge("GET", "/v1/stats")).status).toBe(401);
  });
});
