/**
 * The scheduler inside the callback cloud, against real site Workers: callbacks
 * planned together so that one does not take the only agent another needs, and a
 * request nobody can take in its window moved to the earliest slot that has someone; and the
 * sites' time is the cloud's, so an agent's shift and a digest's age count end to end.
 */
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { edge, requestCallback, site, status } from "./contract.ts";
import { addMember, ADMIN, gossip, registerAcme, registerAllDay, staff, T0, types } from "./helpers.ts";

/** A window from five minutes after T0 for an hour: its agent is held, not yet confirmed, while a request comes at T0. */
const soon = { start: new Date(T0 + 5 * 60_000).toISOString(), end: new Date(T0 + 65 * 60_000).toISOString() };

describe("callbacks planned together", () => {
  it("moves an earlier callback to another agent when a later one needs the only agent with its skill", async () => {
    const clock = await registerAcme();
    const ana = await staff("paris", "ana", { appliance_repair: 4, billing: 5 });
    const bo = await staff("austin", "bo", { billing: 3 });
    // Billing first, from five minutes on (so it is not called before the repair comes): Ana is the strongest
    // billing agent of the mesh, so she takes it.
    const bill = await requestCallback({ reason: "I was charged twice this month", when: soon });
    expect(bill.status).toBe(201);
    const first = (await status(bill.body.confirmation, undefined, ADMIN)).body;
    expect(first.agent).toEqual({ id: ana, siteId: "paris" });

    // Then a repair, which only Ana can do: planned together, the billing callback gives way to Bo.
    await clock.advance(2_000);
    const repair = await requestCallback({ reason: "my washing machine stopped spinning" });
    expect(repair.status).toBe(201);
    const repairView = (await status(repair.body.confirmation, undefined, ADMIN)).body;
    expect(repairView.agent).toEqual({ id: ana, siteId: "paris" });
    expect(repairView.scheduledFor).toBe(new Date(clock.now()).toISOString());

    const billView = (await status(bill.body.confirmation, undefined, ADMIN)).body;
    expect(billView.agent).toEqual({ id: bo, siteId: "austin" });
    expect(billView.status).toBe("scheduled");
    expect(types(billView)).toContain("replanned");
    // Ana's first hold was given back at her site.
    const released = await site("paris", "GET", `/federation/reservations/${first.reservationId}`, undefined, ADMIN);
    expect(released.body).toMatchObject({ callbackId: expect.stringMatching(/^cb_/), status: "released" });
  });

  it("keeps a callback's agent when moving it would serve no one better", async () => {
    const clock = await registerAcme();
    const ana = await staff("paris", "ana", { appliance_repair: 4, billing: 5 });
    await staff("austin", "cy", { appliance_repair: 5 });
    const bill = await requestCallback({ reason: "I was charged twice this month", when: soon });
    await clock.advance(2_000);
    const repair = await requestCallback({ reason: "my washing machine stopped spinning" });
    expect((await status(repair.body.confirmation, undefined, ADMIN)).body.agent.siteId).toBe("austin");
    const billView = (await status(bill.body.confirmation, undefined, ADMIN)).body;
    expect(billView.agent).toEqual({ id: ana, siteId: "paris" });
    expect(types(billView)).not.toContain("replanned");
  });
});

describe("no one free in the window", () => {
  it("gives a request the earliest slot after it that an agent has free, and tells the customer why", async () => {
    const clock = await registerAllDay("acme-247");
    const base = clock.now();
    // The only repairer is on a break for three hours; an asap window lasts two.
    await staff("austin", "ana", { appliance_repair: 4 });
    const back = base + 3 * 3_600_000;
    expect((await site("austin", "POST", "/v1/agents/ana/status", { state: "break", until: new Date(back).toISOString() })).status).toBe(200);

    const offer = await edge("POST", "/v1/interactions", { providerId: "acme-247", user: { id: "u-late" } });
    const created = await requestCallback({ indicia: offer.body.token });
    expect(created.status).toBe(201);
    const planned = (await status(created.body.confirmation, created.body.verifier)).body;
    expect(planned.status).toBe("scheduled");
    const at = Date.parse(planned.scheduledFor);
    // The first 15-minute slot that starts once she is back.
    expect(at).toBeGreaterThanOrEqual(back);
    expect(at - back).toBeLessThan(15 * 60_000);
    expect(new Date(at).getUTCMinutes() % 15).toBe(0);

    const customer = (await status(created.body.confirmation, created.body.verifier)).body;
    const told = customer.history.find((e: { type: string }) => e.type === "rescheduled");
    expect(told.detail).toMatchObject({ reason: expect.stringMatching(/no agent is free within the requested window/), at: new Date(at).toISOString() });
    expect(JSON.stringify(told.detail)).not.toMatch(/austin|r_[0-9a-f]{20}/);
  });
});

describe("one time for the cloud and its sites", () => {
  it("holds an agent to the shift her site keeps: free until it ends, an hour more while she stays logged in, not once she logs off", async () => {
    const clock = await registerAcme();
    // Ana (Austin) repairs best, and her shift ends at 11:00 Chicago, an hour after T0; Bo (Manila) has no shift.
    const ana = await staff("austin", "ana", { appliance_repair: 5 }, { shift: { timezone: "America/Chicago", weekly: { wed: [["08:00", "11:00"]] } } });
    const bo = await staff("manila", "bo", { appliance_repair: 3 });

    const now = await requestCallback();
    expect((await status(now.body.confirmation, undefined, ADMIN)).body).toMatchObject({ agent: { id: ana, siteId: "austin" }, scheduledFor: new Date(T0).toISOString() });
    const afterShift = { start: new Date(T0 + 90 * 60_000).toISOString(), end: new Date(T0 + 150 * 60_000).toISOString() };
    const later = await requestCallback({ when: afterShift });
    expect((await status(later.body.confirmation, undefined, ADMIN)).body.agent, "after her shift").toEqual({ id: bo, siteId: "manila" });

    // An hour and five minutes on, Ana is still at her desk: her site counts on her for an hour past her shift.
    await clock.advance(65 * 60_000);
    for (const [siteId, agentId] of [["austin", "ana"], ["manila", "bo"]]) {
      expect((await site(siteId, "POST", `/v1/agents/${agentId}/heartbeat`)).status).toBe(204);
    }
    const stayingLate = await requestCallback();
    expect((await status(stayingLate.body.confirmation, undefined, ADMIN)).body, "staying late").toMatchObject({
      agent: { id: ana, siteId: "austin" },
      scheduledFor: new Date(T0 + 65 * 60_000).toISOString(),
    });
    // She logs off: from now on her shift decides, and it is over until next Wednesday.
    expect((await site("austin", "POST", "/v1/agents/ana/status", { state: "offline" })).status).toBe(200);
    await clock.advance(2_000);
    const gone = await requestCallback();
    expect((await status(gone.body.confirmation, undefined, ADMIN)).body.agent, "after she logged off").toEqual({ id: bo, siteId: "manila" });
  });

  it("counts a site's word for less as its digest ages: a fresher site wins an otherwise even choice", async () => {
    const clock = await registerAcme();
    for (const siteId of ["austin", "paris", "manila"]) await addMember(siteId);
    // Equal agents: Austin's is first in Acme's list of sites, so it wins a tie.
    const ana = await staff("austin", "ana", { appliance_repair: 4 });
    const bo = await staff("paris", "bo", { appliance_repair: 4 });
    for (const siteId of ["austin", "paris", "manila"]) await gossip(siteId);
    const even = await requestCallback();
    expect((await status(even.body.confirmation, undefined, ADMIN)).body.agent).toEqual({ id: ana, siteId: "austin" });
    expect((await edge("DELETE", `/v1/callbacks/${even.body.confirmation}`, undefined, ADMIN)).status).toBe(200);

    // Ten seconds on (two thirds of the 15 s time to live), Paris and Manila have spoken again, Austin has not.
    await clock.advance(10_000);
    for (const siteId of ["paris", "manila"]) await gossip(siteId);
    const members = (await edge("GET", "/v1/mesh", undefined, ADMIN)).body.members as { siteId: string; health: string }[];
    expect(members.map((m) => [m.siteId, m.health])).toEqual([["austin", "up"], ["manila", "up"], ["paris", "up"]]);
    const fresher = await requestCallback();
    expect((await status(fresher.body.confirmation, undefined, ADMIN)).body.agent).toEqual({ id: bo, siteId: "paris" });
  });
});
