/**
 * Agents who take several callbacks at once, under a burst: 15 agents of capacity 20
 * across three sites, some of them on a call, and 150 asap callbacks asked ten at a
 * time. The mesh can serve every one at once, so none may be left waiting, no agent
 * may hold more than its capacity, and the sites must hold what the cloud says.
 */
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { edge, requestOnly, site, status } from "./contract.ts";
import { ACME, ADMIN, planNow, registerAllDay, staff } from "./helpers.ts";

const SITES = ["austin", "paris", "manila"] as const;
const CAPACITY = 20;
const CLIENTS = 10;
const CALLBACKS = 150;
/** Agents on a call at each site: the others alone (6 × 20) could not take the 150. */
const BUSY = [1, 2, 3];

/** Every intent's skill at the intent's level: each agent can take any callback. */
const SKILLS: Record<string, number> = Object.fromEntries(ACME.intents.flatMap((i) => Object.entries(i.skills)));
/** One reason per intent, worded as its examples are, so requests spread across intents. */
const REASONS = ACME.intents.map((i) => i.examples[0] as string);

describe("agents of capacity above one, under a burst", () => {
  it("schedules every callback the mesh can serve, never above an agent's capacity, and the sites agree", async () => {
    const clock = await registerAllDay("acme-lanes");
    const base = clock.now();

    // Free units per agent: twenty, or nineteen for one on a call.
    const units = new Map<string, number>();
    for (const siteId of SITES) {
      for (let n = 1; n <= 5; n++) {
        const ref = await staff(siteId, `${siteId}-${n}`, SKILLS, { capacity: CAPACITY });
        units.set(`${siteId}/${ref}`, CAPACITY);
        if (!BUSY.includes(n)) continue;
        // On a call, no end given.
        expect((await site(siteId, "POST", `/v1/agents/${siteId}-${n}/status`, { state: "busy" })).status).toBe(200);
        units.set(`${siteId}/${ref}`, CAPACITY - 1);
      }
    }

    const answers = [];
    for (let batch = 0; batch < CALLBACKS / CLIENTS; batch++) {
      // Each customer asks with an offer of its own (an offer is good for one callback), from a phone of its own.
      const offers = await Promise.all(
        Array.from({ length: CLIENTS }, (_, c) => edge("POST", "/v1/interactions", { providerId: "acme-lanes", user: { id: `client-${batch}-${c}` } })),
      );
      answers.push(
        ...(await Promise.all(
          offers.map((offer, c) =>
            requestOnly({ indicia: offer.body.token, reason: REASONS[(batch * CLIENTS + c) % REASONS.length], contact: { phone: `+1512555${String(100 + c).padStart(4, "0")}` } }),
          ),
        )),
      );
      // The cloud's alarm, due with the first of them, plans what arrived (the runtime runs one alarm at a time).
      await planNow("acme-lanes");
      // Ten clients at about twenty a second: the cloud's reading of the mesh (kept a second) is shared by two batches.
      await clock.advance(500);
    }

    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    const views = await Promise.all(answers.map(async (a) => (await status(a.body.confirmation, undefined, ADMIN)).body));
    // Planned with an agent; the first batches' callbacks, due at once, are already being called by later alarms.
    const waiting = views.filter((v) => !["scheduled", "dialing", "connected"].includes(v.status) || !v.agent);
    expect(waiting.map((v) => ({ intent: v.intent, history: v.history }))).toEqual([]);
    // Room for all at once: each is placed when asked (the cloud's clock moved 7.5 s over the burst).
    for (const v of views) expect(Date.parse(v.scheduledFor) - base).toBeLessThan(60_000);

    // The sites hold what the cloud says: one held reservation per callback, on its agent, for its slot.
    const held = new Map<string, { startMs: number; endMs: number }[]>();
    const callbackIds = new Set<string>();
    for (const v of views) {
      const r = await site(v.agent.siteId, "GET", `/federation/reservations/${v.reservationId}`, undefined, ADMIN);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ agentId: v.agent.id, status: v.status === "scheduled" ? "held" : "claimed", start: v.scheduledFor });
      callbackIds.add(r.body.callbackId);
      const key = `${v.agent.siteId}/${v.agent.id}`;
      held.set(key, [...(held.get(key) ?? []), { startMs: Date.parse(r.body.start), endMs: Date.parse(r.body.end) }]);
    }
    expect(callbackIds.size).toBe(CALLBACKS);
    // Never more at once than an agent's free units; and those on a call took their share (the others alone hold 120).
    // A site counts a callback being called on an agent who reports a call as that call (it cannot tell them apart),
    // so such an agent may hold all its units.
    const calling = new Set(views.filter((v) => v.status !== "scheduled").map((v) => `${v.agent.siteId}/${v.agent.id}`));
    for (const [key, spans] of held) expect(peak(spans), key).toBeLessThanOrEqual(calling.has(key) ? CAPACITY : (units.get(key) ?? 0));
    const onCall = [...held.keys()].filter((key) => (units.get(key) ?? 0) < CAPACITY);
    expect(onCall.length).toBeGreaterThan(0);

    // Each site's digest tells what is left: its units less what it holds.
    for (const siteId of SITES) {
      const digest = (await site(siteId, "GET", "/federation/digest")).body;
      for (const a of digest.agents as { ref: string; freeCapacity: number }[]) {
        const key = `${siteId}/${a.ref}`;
        // (An agent being called back now is on that call: what its digest says then is the roster's own test's.)
        if (!calling.has(key)) expect(a.freeCapacity, key).toBe((units.get(key) ?? 0) - (held.get(key)?.length ?? 0));
      }
    }
  }, 60_000);
});

/** The most spans that overlap at any one instant. */
function peak(spans: readonly { startMs: number; endMs: number }[]): number {
  const edges = spans.flatMap((s) => [[s.startMs, 1] as const, [s.endMs, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}
