/**
 * A customer moves a callback (PATCH /v1/callbacks/:confirmation): the new window is
 * planned and reserved like a new request's, and the old hold is given back only once the
 * new one holds; a move nobody can take leaves the callback as it was.
 */
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { edge, requestCallback, site, status } from "./contract.ts";
import { ADMIN, MIN, registerAcme, runAt, staff, T0 } from "./helpers.ts";
import { projectClock } from "../project-clock.ts";

/** Ana repairs best, at Paris, until 11:00 Chicago (an hour after T0); Bo, at Austin, has no shift. */
const ANA_SHIFT = { shift: { timezone: "America/Chicago", weekly: { wed: [["08:00", "11:00"]] } } };
const window = (fromMin: number, toMin: number) => ({ start: new Date(T0 + fromMin * MIN).toISOString(), end: new Date(T0 + toMin * MIN).toISOString() });
const move = (confirmation: string, verifier: string | null, body: unknown, token: string | null = null) =>
  edge("PATCH", `/v1/callbacks/${confirmation}${verifier ? `?verifier=${encodeURIComponent(verifier)}` : ""}`, body, token);
const hold = async (siteId: string, reservationId: string) => (await site(siteId, "GET", `/federation/reservations/${reservationId}`)).body;

async function heldByAna() {
  await registerAcme();
  const ana = await staff("paris", "ana", { appliance_repair: 5 }, ANA_SHIFT);
  const { body } = await requestCallback({ when: window(10, 70) });
  const before = (await status(body.confirmation, undefined, ADMIN)).body;
  expect(before.agent).toEqual({ id: ana, siteId: "paris" });
  return { ana, body, before };
}

describe("a customer moves a callback", () => {
  it("to a window another site serves: the new agent is held there, then the old hold is given back", async () => {
    const { body, before } = await heldByAna();
    const bo = await staff("austin", "bo", { appliance_repair: 3 });
    // The cloud reads the mesh again after a second (what it read for the request did not have Bo).
    await projectClock.advance(2_000);
    const moved = await move(body.confirmation, body.verifier, { when: window(180, 240) });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body).toMatchObject({ status: "scheduled", scheduledFor: new Date(T0 + 180 * MIN).toISOString() });
    expect(moved.body.history.at(-2)).toMatchObject({ type: "rescheduled", detail: { by: "customer", requested: window(180, 240) } });
    // The customer never sees where; staff see the new agent, and both sites agree.
    expect(JSON.stringify(moved.body)).not.toMatch(/paris|austin/);
    const after = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(after.agent).toEqual({ id: bo, siteId: "austin" });
    expect(await hold("austin", after.reservationId)).toMatchObject({ status: "held", agentId: bo });
    expect((await hold("paris", before.reservationId)).status).toBe("released");
  });

  it("within the site that holds it: the site swaps the two holds in one write, and the same agent may keep it", async () => {
    const { ana, body, before } = await heldByAna();
    const moved = await move(body.confirmation, body.verifier, { when: window(20, 50) });
    expect(moved.status, moved.text).toBe(200);
    const after = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(after.agent).toEqual({ id: ana, siteId: "paris" });
    expect(after.reservationId).not.toBe(before.reservationId);
    expect((await hold("paris", before.reservationId)).status).toBe("released");
    expect((await hold("paris", after.reservationId)).status).toBe("held");
    expect(Date.parse(after.scheduledFor)).toBeGreaterThanOrEqual(T0 + 20 * MIN);
  });

  it("to a window nobody can take: 409, and the callback keeps its time, its agent and its hold", async () => {
    const { body, before } = await heldByAna();
    // After Ana's shift there is no one.
    const refused = await move(body.confirmation, body.verifier, { when: window(180, 240) });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "no_agent_in_window", details: { requested: window(180, 240), scheduledFor: before.scheduledFor } });
    const after = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(after).toMatchObject({ status: "scheduled", scheduledFor: before.scheduledFor, agent: before.agent, reservationId: before.reservationId });
    expect(after.history).toEqual(before.history);
    expect((await hold("paris", before.reservationId)).status).toBe("held");
  });

  it("to a window the rules refuse: 422 with the reason, nothing changed", async () => {
    const { body, before } = await heldByAna();
    // Wednesday 22:00 to 23:00 in Chicago: Acme is closed.
    const closed = await move(body.confirmation, body.verifier, { when: window(720, 780) });
    expect(closed.status).toBe(422);
    expect(closed.body.error.code).toBe("window_closed");
    expect((await status(body.confirmation, undefined, ADMIN)).body.history).toEqual(before.history);
    const bad = await move(body.confirmation, body.verifier, { when: { start: "tomorrow" } });
    expect(bad.status).toBe(400);
  });

  it("is the customer's (with the verifier) or staff's to do: a wrong verifier is 404, an agent 403", async () => {
    const { body } = await heldByAna();
    expect((await move(body.confirmation, null, { when: window(20, 50) })).status).toBe(404);
    expect((await move(body.confirmation, "not-the-verifier", { when: window(20, 50) })).status).toBe(404);
    const agent = (await edge("POST", "/v1/tokens", { role: "agent", siteId: "paris", agentId: (await status(body.confirmation, undefined, ADMIN)).body.agent.id }, ADMIN)).body.token;
    expect((await move(body.confirmation, null, { when: window(20, 50) }, agent)).status).toBe(403);
    const ops = (await edge("POST", "/v1/tokens", { role: "ops", name: "olga" }, ADMIN)).body.token;
    const byOps = await move(body.confirmation, null, { when: window(20, 50) }, ops);
    expect(byOps.status).toBe(200);
    expect(byOps.body.history.find((e: { type: string }) => e.type === "rescheduled").detail.by).toBe("ops");
  });

  it("no longer once its call is under way", async () => {
    await registerAcme();
    await staff("paris", "ana", { appliance_repair: 5 });
    const { body } = await requestCallback();
    await runAt(T0);
    const dialed = (await status(body.confirmation, body.verifier)).body.status;
    expect(["dialing", "connected"]).toContain(dialed);
    const refused = await move(body.confirmation, body.verifier, { when: window(60, 120) });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "cannot_reschedule", details: { status: dialed } });
  });
});
