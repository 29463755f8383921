import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { edge, requestCallback, requestOnly, site, status } from "./contract.ts";
import {
  ADMIN,
  dials,
  MIN,
  planNow,
  registerAcme,
  runAt,
  staff,
  T0,
  types,
} from "./helpers.ts";

describe("a callback's life", () => {
  it("asap: scheduled with the repair agent, dialed at its time, answered, completed, with every step in its history", async () => {
    await registerAcme();
    const ref = await staff("austin", "ana", { appliance_repair: 4 });
    await staff("paris", "bo", { billing: 3 });

    // Answered once durable, with the mesh view's estimate; no agent is reserved yet.
    const created = await requestOnly();
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "pending", channel: "voice", intent: "repair", scheduledFor: new Date(T0).toISOString() });
    expect(created.body.confirmation).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const { confirmation, verifier } = created.body;
    expect(types((await status(confirmation, undefined, ADMIN)).body)).toEqual(["received", "intent"]);

    // The alarm is due at once: it plans and reserves, and the status reports the agent.
    expect(await planNow()).toBe(true);
    const staffView = (await status(confirmation, undefined, ADMIN)).body;
    expect(staffView).toMatchObject({ status: "scheduled", agent: { id: ref, siteId: "austin" } });
    // The customer's confirmation went by SMS (Acme texts, the customer gave a phone).
    expect(types(staffView)).toEqual(["received", "intent", "scheduled", "agent_assigned", "notified"]);
    const due = Date.parse(staffView.scheduledFor);
    expect(due).toBe(T0);

    expect(await runAt(due)).toBe(true);
    const connected = (await status(confirmation, verifier)).body;
    expect(connected.status).toBe("connected");
    expect(connected.attempts).toEqual([
      { n: 1, channel: "voice", startedAt: new Date(due).toISOString(), issuedAt: new Date(due).toISOString(), outcome: "answered" },
    ]);
    // The reservation was confirmed (claimed) at the agent's site.
    const reservationId = (await status(confirmation, undefined, ADMIN)).body.reservationId;
    expect((await site("austin", "GET", `/federation/reservations/${reservationId}`)).body.status).toBe("claimed");

    const done = await edge("POST", `/v1/callbacks/${confirmation}/complete`, { outcome: "resolved" }, ADMIN);
    expect(done.status).toBe(200);
    const final = (await status(confirmation, verifier)).body;
    expect(final.status).toBe("completed");
    expect(types(final)).toEqual(["received", "intent", "scheduled", "agent_assigned", "notified", "dialing", "outcome", "connected", "completed"]);
    // Customers never see which agent or site.
    expect(JSON.stringify(final)).not.toContain(ref);
    expect(JSON.stringify(final)).not.toContain("austin");
    expect((await dials(confirmation)).map((d) => [d.channel, d.outcome, d.requests])).toEqual([["voice", "answered", 1]]);
    // Completing gave the agent back.
    expect((await site("austin", "GET", `/federation/reservations/${reservationId}`)).body.status).toBe("released");
  });

  it("scheduled: a window tomorrow is planned into it and fires then, not before", async () => {
    await registerAcme();
    await staff("paris", "ana", { appliance_repair: 3 });
    const start = T0 + 24 * 60 * MIN + 2 * 60 * MIN; // Thursday 12:00 Chicago
    const created = await requestCallback({ when: { start: new Date(start).toISOString(), end: new Date(start + 60 * MIN).toISOString() } });
    expect(created.status).toBe(201);
    expect(created.body.scheduledFor).toBe(new Date(start).toISOString());
    expect(await runAt(start - MIN)).toBe(true);
    expect((await status(created.body.confirmation, created.body.verifier)).body.status).toBe("scheduled");
    expect(await runAt(start)).toBe(true);
    expect((await status(created.body.confirmation, created.body.verifier)).body.status).toBe("connected");
  });
});
