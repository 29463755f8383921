import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { edge, requestCallback, site, status } from "./contract.ts";
import { ADMIN, cloud, MIN, registerAcme, runAt, staff, T0, types } from "./helpers.ts";

/** A token the edge signs for an agent (by site and opaque ref): the other kind beside the member token its site signs. */
async function edgeAgentToken(siteId: string, ref: string): Promise<string> {
  const res = await edge("POST", "/v1/tokens", { role: "agent", siteId, agentId: ref }, ADMIN);
  expect(res.status).toBe(201);
  return res.body.token;
}

describe("agent, ops and customer actions", () => {
  it("expires a callback whose window passes with no agent, saying why", async () => {
    await registerAcme();
    await staff("paris", "bo", { billing: 3 }); // nobody repairs
    const { body } = await requestCallback();
    expect(body.status).toBe("pending");
    const waiting = (await status(body.confirmation, body.verifier)).body;
    // It waits, and the customer is told it was received (the confirmation).
    expect(types(waiting).slice(-2)).toEqual(["waiting", "notified"]);
    expect(waiting.history.at(-2).detail.reason).toMatch(/appliance_repair/);
    // Planned again every minute until the window (2 h for asap) closes.
    expect(await runAt(T0 + MIN)).toBe(true);
    expect((await status(body.confirmation, body.verifier)).body.status).toBe("pending");
    await runAt(T0 + 120 * MIN);
    const expired = (await status(body.confirmation, body.verifier)).body;
    expect(expired.status).toBe("expired");
    expect(expired.history.at(-1)).toMatchObject({ type: "expired", detail: { reason: expect.stringMatching(/appliance_repair/) } });
    expect(await runDurableObjectAlarm(cloud())).toBe(false);
  });

  it("picks up an agent who logs in while the callback waits, and calls at once", async () => {
    await registerAcme();
    const { body } = await requestCallback();
    expect(body.status).toBe("pending");
    await staff("manila", "cy", { appliance_repair: 3 });
    await runAt(T0 + MIN);
    const view = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(view.status).toBe("connected");
    expect(view.agent.siteId).toBe("manila");
    expect(types(view)).toEqual(expect.arrayContaining(["waiting", "scheduled", "agent_assigned", "dialing", "connected"]));
  });

  it("lets the assigned agent answer without calling; the customer sees the answer and nobody is dialed", async () => {
    await registerAcme();
    const ref = await staff("austin", "ana", { appliance_repair: 4 });
    const other = await staff("paris", "bo", { appliance_repair: 2 });
    const { body } = await requestCallback({ reason: "is the E24 error on my dishwasher something I can fix myself?" });
    const assigned = (await status(body.confirmation, undefined, ADMIN)).body.agent;
    expect(assigned).toEqual({ id: ref, siteId: "austin" });

    // Another agent may not touch it.
    const stranger = await edgeAgentToken("paris", other);
    expect((await edge("POST", `/v1/callbacks/${body.confirmation}/answer`, { text: "no" }, stranger)).status).toBe(404);

    const token = await edgeAgentToken("austin", ref);
    const seen = await status(body.confirmation, undefined, token);
    expect(seen.status).toBe(200);
    expect(types(seen.body)).toContain("viewed");
    const noted = await edge("POST", `/v1/callbacks/${body.confirmation}/annotations`, { text: "customer has model DW-500" }, token);
    expect(noted.status).toBe(200);
    // The note is in the staff's history, by the agent who wrote it.
    const note = (await status(body.confirmation, undefined, ADMIN)).body.history.find((e: { type: string }) => e.type === "annotated");
    expect(note?.detail).toMatchObject({ text: "customer has model DW-500" });
    const answered = await edge("POST", `/v1/callbacks/${body.confirmation}/answer`, { text: "E24 is a drain blockage: clean the filter." }, token);
    expect(answered.status).toBe(200);
    const customer = (await status(body.confirmation, body.verifier)).body;
    expect(customer.status).toBe("answered");
    expect(customer.answer).toBe("E24 is a drain blockage: clean the filter.");
    // Annotations are for staff.
    expect(JSON.stringify(customer)).not.toContain("DW-500");
    expect(await runAt(T0)).toBe(false);
  });

  it("transfers to another skill and re-plans to an agent who has it", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const billingRef = await staff("manila", "dee", { billing: 3 });
    const { body } = await requestCallback();
    const firstReservation = (await status(body.confirmation, undefined, ADMIN)).body.reservationId;
    const res = await edge("POST", `/v1/callbacks/${body.confirmation}/transfer`, { skill: "billing" }, ADMIN);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("scheduled");
    expect(res.body.agent).toEqual({ id: billingRef, siteId: "manila" });
    expect(types(res.body)).toEqual(expect.arrayContaining(["transferred", "agent_assigned"]));
    // The first agent's reservation was given back at its site.
    const first = res.body.history.find((e: any) => e.type === "agent_assigned").detail;
    expect(first.siteId).toBe("austin");
    expect((await site("austin", "GET", `/federation/reservations/${firstReservation}`)).body.status).toBe("released");
  });

  it("transfers to a site the provider is not served by: 422", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    const res = await edge("POST", `/v1/callbacks/${body.confirmation}/transfer`, { siteId: "tokyo" }, ADMIN);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("site_not_serving");
  });

  it("bounds a callback's notes, and keeps the end of its history in sight: a cancel after many notes shows", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    const note = (i: number) => edge("POST", `/v1/callbacks/${body.confirmation}/annotations`, { text: `note ${i}` }, ADMIN);
    for (let i = 0; i < 100; i += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, (_, j) => note(i + j)));
      expect(batch.every((r) => r.status === 200)).toBe(true);
    }
    const tooMany = await note(100);
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error).toMatchObject({ code: "too_many_annotations", details: { max: 100 } });
    expect((await edge("DELETE", `/v1/callbacks/${body.confirmation}?verifier=${encodeURIComponent(body.verifier)}`)).status).toBe(200);
    // The customer's status ends with the cancel; so does the federated schema's newest few.
    const history = (await status(body.confirmation, body.verifier)).body.history as { type: string }[];
    expect(history.at(-1)?.type).toBe("cancelled");
    const graph = await edge("POST", "/graphql", { query: `{ callback(confirmation: "${body.confirmation}") { history(first: 3) { type } } }` }, ADMIN);
    expect(graph.body.data.callback.history.map((e: { type: string }) => e.type)).toEqual(["annotated", "annotated", "cancelled"]);
  });

  it("lets the customer cancel with the verifier, releasing the agent", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    const reservationId = (await status(body.confirmation, undefined, ADMIN)).body.reservationId;
    expect((await edge("DELETE", `/v1/callbacks/${body.confirmation}?verifier=wrong`)).status).toBe(404);
    const res = await edge("DELETE", `/v1/callbacks/${body.confirmation}?verifier=${encodeURIComponent(body.verifier)}`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("cancelled");
    expect((await site("austin", "GET", `/federation/reservations/${reservationId}`)).body.status).toBe("released");
    expect(await runAt(T0)).toBe(false);
    // Cancelling again is harmless (the same callback, one `cancelled` in its history); answering a cancelled callback is not.
    const again = await edge("DELETE", `/v1/callbacks/${body.confirmation}?verifier=${encodeURIComponent(body.verifier)}`);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("cancelled");
    expect(types(again.body).filter((t) => t === "cancelled")).toHaveLength(1);
    expect(again.body.history).toEqual(res.body.history);
    expect((await edge("POST", `/v1/callbacks/${body.confirmation}/answer`, { text: "hi" }, ADMIN)).status).toBe(409);
  });

  it("re-plans at callback time when the agent's reservation is gone", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    const reservationId = (await status(body.confirmation, undefined, ADMIN)).body.reservationId;
    // The site let the reservation go (an admin released it); another agent is free elsewhere.
    await site("austin", "POST", `/federation/reservations/${reservationId}/release`);
    await site("austin", "POST", "/v1/agents/ana/status", { state: "offline" });
    await staff("paris", "bo", { appliance_repair: 3 });
    // A couple of seconds on, the cloud's reading of the mesh (kept for a second) is fresh again.
    await runAt(T0 + 2_000);
    const view = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(types(view)).toContain("replanned");
    expect(view.agent.siteId).toBe("paris");
    expect(view.status).toBe("connected");
  });
});

describe("planning from a view a second old", () => {
  it("lets the site choose whoever it has free when the named agent was taken meanwhile", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const first = await requestCallback();
    expect((await status(first.body.confirmation, first.body.verifier)).body.status).toBe("scheduled");
    // Bo logs in at Austin; the cloud's reading of Austin (kept for a second) does not show him yet.
    const bo = await staff("austin", "bo", { appliance_repair: 2 });
    const second = await requestCallback();
    expect((await status(second.body.confirmation, second.body.verifier)).body.status).toBe("scheduled");
    const view = (await status(second.body.confirmation, undefined, ADMIN)).body;
    expect(view.agent).toEqual({ id: bo, siteId: "austin" });
  });
});
