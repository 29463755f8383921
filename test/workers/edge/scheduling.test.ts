/**
 * The scheduler inside the callback cloud, against real site Workers: callbacks
 * planned together so that one does not take the only agent another needs, and a
 * request nobody can take in its window moved to the earliest slot that has someone.
 */
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { edge, requestCallback, site, status } from "./contract.ts";
import { ADMIN, registerAcme, registerAllDay, staff, T0, types } from "./helpers.ts";

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
    clock.advance(2_000);
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
    clock.advance(2_000);
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
