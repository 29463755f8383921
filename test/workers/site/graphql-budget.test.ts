/**
 * What a GraphQL caller may cost a site: availability counted by the slots and days it
 * asks for (30 aliases of a fortnight in 5-minute slots refused before anything runs,
 * while a normal query and the largest single window still work), its bounds, and a
 * budget of cost per caller per sliding minute, answered 429 with Retry-After in the
 * API's error shape. The budget's clock is the project's one clock, moved by the test.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AVAILABILITY_COST } from "../../../federation/runtime/graphql/field-costs.ts";
import { DEFAULT_LIMITS } from "../../../federation/runtime/graphql/limits.ts";
import type { Viewer } from "../../../federation/wire/viewer.ts";
import { DEFAULT_COST_PER_MINUTE, EDGE_VIEWER_SHARE } from "../../../workers/shared/graphql/budget.ts";
import { api } from "./contract.ts";
import { ADMIN, cloudToken, putAgent, report, T0, useClock } from "./helpers.ts";
import { graphqlCall } from "../../http-call.ts";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const gql = (query: string, token = ADMIN, variables?: Record<string, unknown>) => graphqlCall(SELF, "http://paris.test/graphql", query, { token, variables });

const availability = (days: number, slotMinutes: number, alias = "a") =>
  `${alias}: availability(skill: "billing", channel: VOICE, from: "${iso(T0)}", to: "${iso(T0 + days * DAY)}", slotMinutes: ${slotMinutes}) { start end capacity }`;

/** Cheap to answer on a small roster, yet counted near the largest operation allowed: 1 + 100 × (1 + 80 × 3). */
const COSTLY = "{ agents(first: 100) { reservations(first: 80) { id siteId agentId } } }";
const COSTLY_COST = 1 + 100 * (1 + 80 * 3);

describe("the cost of availability at a site", () => {
  it("refuses 30 aliases of a 14-day window in 5-minute slots (400 query_too_costly) and still answers a normal query and the largest window", async () => {
    await useClock();
    await putAgent("ana", { skills: { billing: 3 }, shift: { timezone: "Europe/Paris", weekly: { wed: [["08:00", "20:00"]], thu: [["08:00", "20:00"]] } } });
    await report("ana", "available");

    const thirty = Array.from({ length: 30 }, (_, i) => availability(14, 5, `a${i}`)).join(" ");
    const refused = await gql(`{ ${thirty} }`);
    expect(refused.status).toBe(400);
    expect(refused.body.data).toBeUndefined();
    const one = AVAILABILITY_COST.perCall + 14 * AVAILABILITY_COST.perDay + 4032 * 3;
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ extensions: { code: "query_too_costly", details: { cost: 30 * one, maxCost: DEFAULT_LIMITS.maxCost } } }),
    ]);

    // A day in quarter hours, as a planner asks it: 96 slots, Ana free from 08:00 Paris (07:00Z) to 20:00 (19:00Z).
    const normal = await gql(`{ site { ${availability(1, 15)} } agents { id state } }`);
    expect(normal.status).toBe(200);
    expect(normal.body.errors).toBeUndefined();
    const slots = normal.body.data.site.a as { start: string; capacity: number }[];
    expect(slots).toHaveLength(96);
    expect(slots.filter((s) => s.capacity === 1).map((s) => s.start)).toContain("2030-01-09T18:45:00.000Z");
    expect(slots.find((s) => s.start === "2030-01-09T19:00:00.000Z")?.capacity).toBe(0);

    // The largest window the bounds allow, alone, is within the cost limit: 4,032 slots.
    const largest = await gql(`{ ${availability(14, 5)} }`);
    expect(largest.status).toBe(200);
    expect(largest.body.data.a).toHaveLength(4032);
  });

  it("refuses windows past 14 days and slots under 5 minutes, written or by variables, naming the argument (400 invalid_request)", async () => {
    await useClock();
    const literal = await gql(`{ ${availability(15, 15)} }`);
    expect(literal.status).toBe(400);
    expect(literal.body.errors[0].extensions).toEqual({ code: "invalid_request", details: { fields: [{ path: "args.to", message: "a window spans at most 14 days" }] } });

    const query = `query($from: String!, $to: String!, $slot: Int) {
      availability(skill: "billing", channel: VOICE, from: $from, to: $to, slotMinutes: $slot) { capacity } }`;
    const slots = await gql(query, ADMIN, { from: iso(T0), to: iso(T0 + DAY), slot: 1 });
    expect(slots.status).toBe(400);
    expect(slots.body.errors[0].extensions).toEqual({
      code: "invalid_request",
      details: { fields: [{ path: "args.slotMinutes", message: "slotMinutes is at least 5 and at most 240" }] },
    });
    // Three fortnights in 5-minute slots by variables: over the cost limit when the operation starts.
    const three = `query($from: String!, $to: String!) { ${["a", "b", "c"].map((a) => `${a}: availability(skill: "billing", channel: VOICE, from: $from, to: $to, slotMinutes: 5) { start end capacity }`).join(" ")} }`;
    const costly = await gql(three, ADMIN, { from: iso(T0), to: iso(T0 + 14 * DAY) });
    expect(costly.status).toBe(400);
    expect(costly.body.errors[0].extensions.code).toBe("query_too_costly");
    // The same for an hour is fine.
    const hour = await gql(three, ADMIN, { from: iso(T0), to: iso(T0 + 3_600_000) });
    expect(hour.status).toBe(200);
    expect(hour.body.data.c).toHaveLength(12);
  });
});

describe("a caller's GraphQL budget at a site", () => {
  it("lets a caller spend its budget per sliding minute, then answers 429 rate_limited with Retry-After until enough has left", async () => {
    const clock = await useClock();
    const fits = Math.floor(DEFAULT_COST_PER_MINUTE / COSTLY_COST);
    expect(fits).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < fits; i++) {
      expect((await gql(COSTLY)).status).toBe(200);
      await clock.advance(1_000);
    }
    // One more does not fit: refused in the API's error shape (the contract documents it), not run.
    const refused = await api("POST", "/graphql", { query: COSTLY });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toEqual({
      code: "rate_limited",
      message: expect.stringContaining("try again in"),
      details: { limit: "graphql", max: DEFAULT_COST_PER_MINUTE, periodSeconds: 60, cost: COSTLY_COST, retryAfterSeconds: 60 - fits },
    });
    expect(refused.headers.get("retry-after")).toBe(String(60 - fits));
    // Another caller has a budget of its own.
    const ops = (await api("POST", "/v1/tokens", { role: "ops", name: "dana" })).body.token as string;
    expect((await gql(COSTLY, ops)).status).toBe(200);
    // A small query still fits beside what was spent, when there is room for it.
    expect((await gql("{ site { id } }")).status).toBe(DEFAULT_COST_PER_MINUTE - fits * COSTLY_COST >= 2 ? 200 : 429);
    // Once the first operation has left the window (60 s after it), one more fits; the next does not yet.
    await clock.set(T0 + 60_000);
    expect((await gql(COSTLY)).status).toBe(200);
    expect((await gql(COSTLY)).status).toBe(429);
  });

  it("refuses introspection too once nothing is left (every operation spends at least 1)", async () => {
    await useClock();
    // The whole budget, to its last unit: pages of reservations (101 + 100 n), then a page of agents (1 + m).
    const pages = "query($n: Int) { agents(first: 100) { reservations(first: $n) { id } } }";
    let left = DEFAULT_COST_PER_MINUTE;
    while (left >= 101) {
      const n = Math.min(100, Math.floor((left - 101) / 100));
      expect((await gql(pages, ADMIN, { n })).status).toBe(200);
      left -= 101 + 100 * n;
    }
    if (left > 0) expect((await gql(`{ agents(first: ${left - 1}) { id } }`)).status).toBe(200);
    expect((await gql("{ __schema { queryType { name } } }")).status).toBe(429);
    expect((await gql("{ __typename }")).status).toBe(429);
  });

  it("gives each viewer the edge asks for a budget of its own, several callers' worth", async () => {
    await useClock();
    const asGlobex = await cloudToken("paris", { kind: "partner", siteId: "globex" } satisfies Viewer);
    const fits = Math.floor((DEFAULT_COST_PER_MINUTE * EDGE_VIEWER_SHARE) / COSTLY_COST);
    for (let i = 0; i < fits; i++) expect((await gql(COSTLY, asGlobex)).status, `query ${i + 1} of ${fits}`).toBe(200);
    expect((await gql(COSTLY, asGlobex)).status).toBe(429);
    // The edge's staff viewer is another budget.
    expect((await gql(COSTLY, await cloudToken("paris", { kind: "staff" }))).status).toBe(200);
  });
});
