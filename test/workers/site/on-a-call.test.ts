/**
 * An agent on a call, as the site tells the mesh and as it reserves: the call takes one
 * unit of the agent's capacity, not all of them, and the instant the digest says the call
 * is over is still the instant a moment later, so a reservation there is accepted.
 */
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { api, report } from "./contract.ts";
import { CLOUD, iso, PEER, putAgent, T0, useClock } from "./helpers.ts";

const MIN = 60_000;
/** A call reported without its end is expected to last five minutes (BUSY_ESTIMATE_MS). */
const CALL_END = T0 + 5 * MIN;

const digestOf = async (ref: string) => (await api("GET", "/federation/digest", undefined, PEER)).body.agents.find((a: { ref: string }) => a.ref === ref);
const reserve = (callbackId: string, agentId: string, startMs: number) =>
  api("POST", "/federation/reservations", { callbackId, agentId, skill: "appliance_repair", channel: "voice", start: iso(startMs), end: iso(startMs + 15 * MIN) }, CLOUD);

describe("an agent on a call", () => {
  it("keeps the other units of an agent of capacity three free, and takes exactly those", async () => {
    const clock = await useClock();
    const ana = await putAgent("ana", { capacity: 3 });
    await report("ana", "available");
    await report("ana", "busy");
    expect(await digestOf(ana.ref)).toMatchObject({
      state: "busy",
      freeCapacity: 2,
      expectedAvailableAtMs: T0,
      free: [
        [T0, CALL_END, 2],
        [CALL_END, null, 3],
      ],
    });
    await clock.advance(1_000);
    expect((await reserve("cb-1", ana.ref, T0 + 1_000)).status).toBe(201);
    expect((await reserve("cb-2", ana.ref, T0 + 1_000)).status).toBe(201);
    const third = await reserve("cb-3", ana.ref, T0 + 1_000);
    expect(third.status).toBe(409);
    expect(third.body.error.code).toBe("no_capacity");
    // The site choosing for itself counts the same way.
    const chosen = await api("POST", "/federation/reservations", { callbackId: "cb-4", skill: "appliance_repair", channel: "voice", start: iso(T0 + 1_000), end: iso(T0 + 16 * MIN) }, CLOUD);
    expect(chosen.status).toBe(409);
  });

  it("accepts a reservation at the instant the digest said the call ends, asked a moment later", async () => {
    const clock = await useClock();
    const bo = await putAgent("bo");
    await report("bo", "available");
    await report("bo", "busy");
    const seen = await digestOf(bo.ref);
    expect(seen.free).toEqual([[CALL_END, null]]);
    // The cloud plans on what the digest said and reserves a little later: the end has not moved.
    await clock.advance(2_000);
    expect((await reserve("cb-1", bo.ref, seen.free[0][0])).status).toBe(201);
    expect((await api("GET", "/v1/agents/bo")).body.expectedAvailableAt).toBe(iso(CALL_END + 15 * MIN));
  });

  it("counts a claimed callback under way as the call the agent is on, not as a second unit", async () => {
    const clock = await useClock();
    const cy = await putAgent("cy", { capacity: 2 });
    await report("cy", "available");
    const dialled = await reserve("cb-1", cy.ref, T0);
    expect((await api("POST", `/federation/reservations/${dialled.body.id}/claim`, undefined, CLOUD)).status).toBe(200);
    await clock.advance(MIN);
    await report("cy", "busy");
    expect(await digestOf(cy.ref)).toMatchObject({ freeCapacity: 1 });
    expect((await reserve("cb-2", cy.ref, T0 + MIN)).status).toBe(201);
    expect((await reserve("cb-3", cy.ref, T0 + MIN)).status).toBe(409);
  });
});
