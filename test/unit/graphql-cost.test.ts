/**
 * What a GraphQL operation costs, without a runtime: lists sized by arguments other
 * than `first` (availability's slots, look-ups by ids, histories), availability's own
 * work per call and per day, bounds on those arguments, and the same measured with an
 * operation's variables when it starts. And the budget a caller spends it from.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { buildSchema, parse, specifiedRules, validate, type GraphQLSchema } from "graphql";
import { describe, expect, it } from "vitest";
import { AVAILABILITY_BOUNDS, AVAILABILITY_COST, MAX_AVAILABILITY_SLOTS } from "../../federation/runtime/graphql/field-costs.ts";
import { DEFAULT_LIMITS, limitsRule, operationCost } from "../../federation/runtime/graphql/limits.ts";
import { availabilityQuery } from "../../objects/roster/model.ts";
import { CostWindow } from "../../objects/rate-limiter/cost-windows.ts";
import { budgetKey, budgetOf, DEFAULT_COST_PER_MINUTE, EDGE_VIEWER_SHARE } from "../../workers/shared/graphql/budget.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const sdl = (file: string) => buildSchema(readFileSync(path.join(ROOT, "schema", file), "utf8"));
const site = sdl("site.graphql");
const federated = sdl("federated.graphql");

const DAY = 86_400_000;
const FROM = "2030-01-09T00:00:00.000Z";
const after = (ms: number) => new Date(Date.parse(FROM) + ms).toISOString();

/** Errors of validation, as extensions. */
const refusals = (schema: GraphQLSchema, query: string) => validate(schema, parse(query), [...specifiedRules, limitsRule()]).map((e) => e.extensions);
/** The cost with variables, as an operation starting is measured. */
const costOf = (schema: GraphQLSchema, query: string, variables?: Record<string, unknown>) => operationCost(schema, parse(query), undefined, variables);

const availability = (days: number, slotMinutes: number, alias = "") =>
  `${alias ? `${alias}: ` : ""}availability(skill: "billing", channel: VOICE, from: "${FROM}", to: "${after(days * DAY)}", slotMinutes: ${slotMinutes}) { start end capacity }`;
/** What one availability field with three fields per slot costs: the roster's work, and each slot's fields. */
const availabilityCost = (days: number, slotMinutes: number) =>
  AVAILABILITY_COST.perCall + Math.ceil(days * AVAILABILITY_COST.perDay) + Math.ceil((days * DAY) / (slotMinutes * 60_000)) * 3;

describe("the cost of availability", () => {
  it("follows the window and the slot size: 14 days of 5-minute slots are 4,032 slots", () => {
    expect(MAX_AVAILABILITY_SLOTS).toBe(4032);
    expect(costOf(site, `{ ${availability(14, 5)} }`)).toEqual({ cost: availabilityCost(14, 5), errors: [] });
    expect(availabilityCost(14, 5)).toBe(1_500 + 2_100 + 4032 * 3);
    expect(costOf(site, `{ ${availability(1, 15)} }`).cost).toBe(1_500 + 150 + 96 * 3);
    // The same at the edge, under a site of the federated schema.
    expect(costOf(federated, `{ site(id: "paris") { ${availability(14, 5)} } }`).cost).toBe(1 + availabilityCost(14, 5));
  });

  it("refuses 30 aliases of a 14-day window in 5-minute slots when the document is validated", () => {
    const thirty = Array.from({ length: 30 }, (_, i) => availability(14, 5, `a${i}`)).join(" ");
    expect(refusals(site, `{ ${thirty} }`)).toEqual([{ code: "query_too_costly", details: { cost: 30 * availabilityCost(14, 5), maxCost: DEFAULT_LIMITS.maxCost } }]);
    // Counted by slots alone, long slots were cheap (30 × 253): the roster's work per call and per day is what they cost.
    const longSlots = Array.from({ length: 30 }, (_, i) => availability(14, 240, `a${i}`)).join(" ");
    expect(refusals(site, `{ ${longSlots} }`)[0]).toMatchObject({ code: "query_too_costly", details: { cost: 30 * availabilityCost(14, 240) } });
    // One window, and a page of agents beside it, are fine.
    expect(refusals(site, `{ ${availability(14, 5)} agents(first: 20) { id state } }`)).toEqual([]);
  });

  it("refuses a window over 14 days, and slots under 5 or over 240 minutes, naming the argument", () => {
    expect(refusals(site, `{ ${availability(14.5, 15)} }`)).toEqual([
      { code: "invalid_request", details: { fields: [{ path: "args.to", message: "a window spans at most 14 days" }] } },
    ]);
    expect(refusals(site, `{ ${availability(1, 4)} }`)).toEqual([
      { code: "invalid_request", details: { fields: [{ path: "args.slotMinutes", message: "slotMinutes is at least 5 and at most 240" }] } },
    ]);
    expect(refusals(federated, `{ sites { ${availability(20, 1)} } }`)[0]).toMatchObject({
      code: "invalid_request",
      details: { fields: [{ path: "args.slotMinutes" }, { path: "args.to" }] },
    });
    expect(refusals(site, `{ ${availability(1, 241)} }`)[0]).toMatchObject({ code: "invalid_request" });
  });

  it("keeps the roster's own bounds: what is refused here, the roster refuses too", () => {
    const q = (days: number, slotMinutes: number) => availabilityQuery.safeParse({ skill: "billing", channel: "voice", from: FROM, to: after(days * DAY), slotMinutes }).success;
    const { maxDays, minSlotMinutes, maxSlotMinutes } = AVAILABILITY_BOUNDS;
    expect([q(maxDays, minSlotMinutes), q(maxDays, maxSlotMinutes)]).toEqual([true, true]);
    expect([q(maxDays + 1 / DAY, 15), q(1, minSlotMinutes - 1), q(1, maxSlotMinutes + 1)]).toEqual([false, false, false]);
  });

  it("counts a window given by variables when the operation starts", () => {
    const query = `query($from: String!, $to: String!, $slot: Int) {
      a: availability(skill: "billing", channel: VOICE, from: $from, to: $to, slotMinutes: $slot) { start end capacity }
      b: availability(skill: "support", channel: VOICE, from: $from, to: $to, slotMinutes: $slot) { start end capacity } }`;
    // Validated, variables unknown: only the calls themselves count (a lower bound).
    expect(refusals(site, query)).toEqual([]);
    expect(costOf(site, query, { from: FROM, to: after(DAY), slot: 15 })).toEqual({ cost: 2 * availabilityCost(1, 15), errors: [] });
    // Two 14-day windows of 5-minute slots are over the limit: refused when it starts, a request error (400).
    const over = costOf(site, query, { from: FROM, to: after(14 * DAY), slot: 5 });
    expect(over.cost).toBe(2 * availabilityCost(14, 5));
    expect(over.errors.map((e) => e.extensions)).toEqual([
      { code: "query_too_costly", details: { cost: over.cost, maxCost: DEFAULT_LIMITS.maxCost }, http: { spec: true, status: 400 } },
    ]);
    // Past the bounds by variables: invalid_request naming the argument, for each field.
    const long = costOf(site, query, { from: FROM, to: after(15 * DAY) });
    expect(long.errors.map((e) => e.extensions?.details)).toEqual([
      { fields: [{ path: "args.to", message: "a window spans at most 14 days" }] },
      { fields: [{ path: "args.to", message: "a window spans at most 14 days" }] },
    ]);
    // The slot size left out is the schema's default (15).
    expect(costOf(site, query, { from: FROM, to: after(DAY) }).cost).toBe(2 * availabilityCost(1, 15));
  });

  it("counts a time the roster cannot read as the longest window, never as less", () => {
    const q = `{ availability(skill: "billing", channel: VOICE, from: "soon", to: "later", slotMinutes: 5) { capacity } }`;
    expect(costOf(site, q).cost).toBe(AVAILABILITY_COST.perCall + 14 * AVAILABILITY_COST.perDay + MAX_AVAILABILITY_SLOTS);
  });
});

describe("the cost of other lists sized by their arguments", () => {
  it("counts mesh availability by its slots, at most a day's", () => {
    const mesh = (args: string) => costOf(federated, `{ meshAvailability(skill: "billing"${args}) { start agents } }`).cost;
    expect(mesh("")).toBe(1 + 96 * 2);
    expect(mesh(", slotMinutes: 5")).toBe(1 + 288 * 2);
    expect(mesh(`, from: "${FROM}", to: "${after(3 * DAY)}", slotMinutes: 60`)).toBe(1 + 24 * 2);
    expect(refusals(federated, `{ meshAvailability(skill: "billing", slotMinutes: 1) { start } }`)[0]).toMatchObject({
      code: "invalid_request",
      details: { fields: [{ path: "args.slotMinutes" }] },
    });
  });

  it("counts a look-up by ids as one item per id, given or by a variable", () => {
    expect(costOf(site, `{ _agents(ids: ["a", "b", "c"]) { id state } }`).cost).toBe(1 + 3 * 2);
    const byVariable = `query($ids: [ID!]!) { _agents(ids: $ids) { id state reservations { id } } }`;
    // The gateway's look-ups come with variables: validated, they count nothing; started, one item per id.
    expect(refusals(site, byVariable)).toEqual([]);
    expect(costOf(site, byVariable, { ids: Array.from({ length: 40 }, (_, i) => `r${i}`) }).cost).toBe(1 + 40 * (1 + 1 + 1 + 20));
  });

  it("counts a history by the events it may return (up to 200), not by the largest page", () => {
    expect(costOf(federated, `{ callback(confirmation: "x") { history(first: 150) { at } } }`).cost).toBe(1 + 1 + 150);
    expect(costOf(federated, `{ callback(confirmation: "x") { history(first: 5000) { at } } }`).cost).toBe(1 + 1 + 200);
  });

  it("counts a page by a variable as the page it gives", () => {
    const query = "query($n: Int) { agents(first: $n) { callbacks(first: $n) { history(first: $n) { at } } } }";
    expect(refusals(federated, query)).toEqual([]);
    expect(costOf(federated, query, { n: 3 })).toEqual({ cost: 1 + 3 * (1 + 3 * (1 + 3)), errors: [] });
    expect(costOf(federated, query, { n: 100 }).errors[0].extensions).toMatchObject({ code: "query_too_costly", details: { cost: 1 + 100 * (1 + 100 * (1 + 100)) } });
    // Variables that do not coerce are graphql-js's to refuse: nothing runs, the operation costs 1.
    expect(costOf(federated, query, { n: "many" })).toEqual({ cost: 1, errors: [] });
  });
});

describe("a cost window", () => {
  const budget = { name: "graphql", max: 100, periodMs: 60_000 };

  it("lets through what fits in any sliding minute, and says when enough has left", () => {
    const w = new CostWindow();
    expect(w.spend(40, budget, 0)).toEqual({ ok: true, left: 60 });
    expect(w.spend(30, budget, 10_000)).toEqual({ ok: true, left: 30 });
    // 50 does not fit until the first 40 leave, at 60 s.
    expect(w.spend(50, budget, 20_000)).toEqual({ ok: false, name: "graphql", max: 100, periodMs: 60_000, cost: 50, retryAfterMs: 40_000 });
    // A refusal counts for nothing: 30 still fits.
    expect(w.spend(30, budget, 20_000)).toEqual({ ok: true, left: 0 });
    // 90 needs all three to leave: the last (20 s) leaves at 80 s.
    expect(w.spend(90, budget, 59_000)).toMatchObject({ ok: false, retryAfterMs: 21_000 });
    // At 60 s the first 40 have left: 40 fits again, exactly.
    expect(w.spend(40, budget, 60_000)).toEqual({ ok: true, left: 0 });
    expect(w.spent(60_000, budget.periodMs)).toBe(100);
    expect(w.spent(80_000, budget.periodMs)).toBe(40);
  });

  it("charges more than the whole budget as the whole budget, so it passes once the window is empty", () => {
    const w = new CostWindow();
    expect(w.spend(500, budget, 0)).toEqual({ ok: true, left: 0 });
    expect(w.spend(1, budget, 59_999)).toMatchObject({ ok: false, retryAfterMs: 1 });
    expect(w.spend(500, budget, 60_000).ok).toBe(true);
  });

  it("stays exact past thousands of entries (the front is dropped as they leave)", () => {
    const w = new CostWindow();
    for (let t = 0; t < 10_000; t++) expect(w.spend(1, { ...budget, max: 60 }, t * 1000).ok).toBe(true);
    // The last minute's 59 (the one at 9,940 s has just left), then none.
    expect(w.spent(10_000_000, 60_000)).toBe(59);
    expect(w.spent(10_059_000, 60_000)).toBe(0);
  });
});

describe("a caller's budget", () => {
  it("is the principal's, by its subject, and the edge's per viewer it asks for", () => {
    const jwt = (sub: string) => `Bearer x.${Buffer.from(JSON.stringify({ sub, role: "ops" })).toString("base64url")}.y`;
    expect(budgetKey({ role: "admin" }, undefined)).toBe("admin");
    expect(budgetKey({ role: "ops" }, jwt("dana"))).toBe("ops:dana");
    expect(budgetKey({ role: "ops" }, jwt("eli"))).toBe("ops:eli");
    expect(budgetKey({ role: "partner", partnerId: "globex" }, undefined)).toBe("partner:globex");
    expect(budgetKey({ role: "cloud", viewer: { kind: "partner", siteId: "globex" } }, undefined)).toBe("cloud:partner:globex");
    expect(budgetKey({ role: "cloud", viewer: null }, undefined)).toBe("cloud:mesh");
  });

  it("allows four of the costliest operations a minute by default, the edge's viewers more, and never less than one", () => {
    const env = (perMinute?: string) => ({ GRAPHQL_BUDGETS: null as never, GRAPHQL_COST_PER_MINUTE: perMinute });
    expect(budgetOf(env(), "ops:dana")).toEqual({ name: "graphql", max: DEFAULT_COST_PER_MINUTE, periodMs: 60_000 });
    expect(budgetOf(env(), "cloud:staff").max).toBe(DEFAULT_COST_PER_MINUTE * EDGE_VIEWER_SHARE);
    expect(budgetOf(env("40000"), "admin").max).toBe(40_000);
    expect(budgetOf(env("10"), "admin").max).toBe(DEFAULT_LIMITS.maxCost);
    expect(budgetOf(env("lots"), "admin").max).toBe(DEFAULT_COST_PER_MINUTE);
  });
});
