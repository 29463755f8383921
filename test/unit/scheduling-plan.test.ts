/** The scheduler's joint plan: optimal assignment, no double booking, re-planning, overflow. */
import { describe, expect, it } from "vitest";
import type { DigestAgent } from "../../federation/wire/digest.ts";
import type { MeshMember } from "../../federation/runtime/mesh-view.ts";
import { maxAssignment } from "../../objects/callback-cloud/scheduling/assign.ts";
// The greedy baseline is for comparison only: not in the production barrel.
import { planGreedy } from "../../objects/callback-cloud/scheduling/greedy.ts";
import {
  movesBetween,
  planTogether,
  rankFor,
  type CallbackNeed,
  type Placement,
  type PlanResult,
  type SchedulingContext,
} from "../../objects/callback-cloud/scheduling/index.ts";
import { agent, at, ctx, member, MIN, nameOf, need, prng, ref, SLOT, T0 } from "./scheduling-fixtures.ts";

const total = (ps: readonly { score: number }[]) => ps.reduce((s, p) => s + p.score, 0);

/** The best total over every way to give rows distinct columns (or none): exhaustive. */
function bruteForce(values: readonly (readonly number[])[], columns: number): number {
  const used = new Array<boolean>(columns).fill(false);
  const go = (r: number): number => {
    if (r === values.length) return 0;
    let best = go(r + 1);
    for (let c = 0; c < columns; c++) {
      if (used[c] || values[r][c] === Number.NEGATIVE_INFINITY) continue;
      used[c] = true;
      best = Math.max(best, values[r][c] + go(r + 1));
      used[c] = false;
    }
    return best;
  };
  return go(0);
}

/** Every placement inside its window, on an agent free then, and no agent holding two overlapping ones. */
function expectNoDoubleBooking(plan: PlanResult, needs: readonly CallbackNeed[], members: readonly MeshMember[], c: SchedulingContext): void {
  const agents = new Map(members.flatMap((m) => (m.digest?.agents ?? []).map((a) => [`${m.siteId}/${a.ref}`, a] as const)));
  const byAgent = new Map<string, Placement[]>();
  for (const p of plan.placements) {
    const n = needs.find((x) => x.id === p.callbackId) as CallbackNeed;
    expect(p.startMs).toBeGreaterThanOrEqual(Math.max(n.earliestMs, c.nowMs));
    expect(p.startMs).toBeLessThanOrEqual(n.latestStartMs);
    const a = agents.get(`${p.siteId}/${p.agentId}`) as DigestAgent;
    const held = n.current && n.current.siteId === p.siteId && n.current.agentId === p.agentId ? [[n.current.startMs, n.current.startMs + c.slotMs]] : [];
    const free = [...(a.free ?? []), ...held];
    expect(free.some(([s, e]) => s <= p.startMs && p.startMs + c.slotMs <= (e ?? Infinity))).toBe(true);
    const list = byAgent.get(`${p.siteId}/${p.agentId}`) ?? [];
    for (const q of list) expect(Math.abs(q.startMs - p.startMs)).toBeGreaterThanOrEqual(c.slotMs);
    byAgent.set(`${p.siteId}/${p.agentId}`, [...list, p]);
  }
  expect(new Set(plan.placements.map((p) => p.callbackId)).size).toBe(plan.placements.length);
}

/** A small random mesh: 2-3 sites, up to `maxAgents` agents with two skills, languages and free intervals. */
function randomCase(seed: number, maxNeeds: number, maxAgents: number, windowMs: () => number) {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const sites = ["paris", "austin", "manila"].slice(0, 2 + Math.floor(rnd() * 2));
  const agentCount = 1 + Math.floor(rnd() * maxAgents);
  const bySite = new Map<string, DigestAgent[]>(sites.map((s) => [s, []]));
  for (let i = 0; i < agentCount; i++) {
    const skills: Record<string, number> = {};
    if (rnd() < 0.7) skills.repair = 1 + Math.floor(rnd() * 5);
    if (rnd() < 0.6 || Object.keys(skills).length === 0) skills.billing = 1 + Math.floor(rnd() * 5);
    const from = at(Math.floor(rnd() * 40) - 10);
    const free: [number, number][] = rnd() < 0.15 ? [] : [[from, from + (1 + Math.floor(rnd() * 6)) * 30 * MIN]];
    if (rnd() < 0.3) free.push([at(300), at(400)]);
    (bySite.get(pick(sites)) as DigestAgent[]).push(agent(`a${i}`, { skills, languages: rnd() < 0.5 ? ["en"] : ["en", "fr"], free }));
  }
  const members = sites.map((s) => member(s, bySite.get(s) as DigestAgent[], { digestAgeMs: Math.floor(rnd() * 3000) }));
  const needCount = 1 + Math.floor(rnd() * maxNeeds);
  const needs = Array.from({ length: needCount }, (_, i) =>
    need(`cb${i}`, {
      skill: pick(["repair", "billing"]),
      level: 1 + Math.floor(rnd() * 5),
      language: rnd() < 0.3 ? "fr" : undefined,
      earliestMs: T0,
      latestStartMs: T0 + windowMs(),
      asap: rnd() < 0.6,
      priority: 1 + Math.floor(rnd() * 5),
    }),
  );
  const c = ctx({ siteIds: sites, costTier: Object.fromEntries(sites.map((s) => [s, Math.floor(rnd() * 4)])), siteLoad: { [sites[0]]: Math.floor(rnd() * 5) } });
  return { members, needs, c };
}

describe("the assignment", () => {
  it("matches a brute-force optimum on 200 random score matrices", () => {
    const rnd = prng(7);
    for (let k = 0; k < 200; k++) {
      const rows = 1 + Math.floor(rnd() * 6);
      const cols = 1 + Math.floor(rnd() * 7);
      const values = Array.from({ length: rows }, () => Array.from({ length: cols }, () => (rnd() < 0.3 ? Number.NEGATIVE_INFINITY : 1 + rnd() * 3)));
      const chosen = maxAssignment(values, cols);
      const taken = chosen.filter((c) => c >= 0);
      expect(new Set(taken).size).toBe(taken.length);
      chosen.forEach((c, r) => c >= 0 && expect(values[r][c]).not.toBe(Number.NEGATIVE_INFINITY));
      const value = chosen.reduce((s, c, r) => s + (c >= 0 ? values[r][c] : 0), 0);
      expect(value).toBeCloseTo(bruteForce(values, cols), 9);
    }
  });

  it("plans a slot's callbacks to the brute-force optimum (200 cases of ≤ 6 callbacks × ≤ 7 agents), never double-booked", () => {
    let greedyBeaten = 0;
    for (let seed = 1; seed <= 200; seed++) {
      // Windows shorter than a slot: every callback falls in one batch, and an agent serves at most one.
      const { members, needs, c } = randomCase(seed, 6, 7, () => 10 * MIN);
      const plan = planTogether(needs, members, c);
      expectNoDoubleBooking(plan, needs, members, c);
      // Each callback's value on each agent, at the agent's earliest start, on the mesh before the plan.
      const agentIds = members.flatMap((m) => (m.digest?.agents ?? []).map((a) => `${m.siteId}/${a.ref}`));
      const values = needs.map((n) => {
        const row = new Array<number>(agentIds.length).fill(Number.NEGATIVE_INFINITY);
        for (const p of rankFor(n, members, c, Infinity)) row[agentIds.indexOf(`${p.siteId}/${p.agentId}`)] = p.score;
        return row;
      });
      const optimum = bruteForce(values, agentIds.length);
      expect(total(plan.placements), `seed ${seed}`).toBeCloseTo(optimum, 9);
      const greedy = total(planGreedy(needs, members, c).placements);
      expect(total(plan.placements) + 1e-9).toBeGreaterThanOrEqual(greedy);
      if (greedy < optimum - 1e-9) greedyBeaten += 1;
      expect(plan.placements.length + plan.unplaced.length).toBe(needs.length);
    }
    // The cases are hard enough to tell: first come, first served misses the optimum in many.
    expect(greedyBeaten).toBeGreaterThan(40);
  });

  it("never double-books over longer windows, where agents take several callbacks in turn", () => {
    for (let seed = 1000; seed < 1100; seed++) {
      const rnd = prng(seed);
      const { members, needs, c } = randomCase(seed, 14, 5, () => Math.floor(rnd() * 240) * MIN);
      const plan = planTogether(needs, members, c);
      expectNoDoubleBooking(plan, needs, members, c);
      expect(plan.placements.length + plan.unplaced.length).toBe(needs.length);
      for (const u of plan.unplaced) {
        const n = needs.find((x) => x.id === u.callbackId) as CallbackNeed;
        if (u.earliestOutsideMs !== null) expect(u.earliestOutsideMs).toBeGreaterThan(n.latestStartMs);
      }
    }
  });

  it("gives the agent skilled in both to the callback only it can take: greedy makes the second wait", () => {
    // An early billing callback and a later repair one in the same slot; only "both" can repair.
    const members = [member("paris", [agent("both", { skills: { billing: 5, repair: 4 } }), agent("biller", { skills: { billing: 3 } })])];
    const needs = [
      need("bill", { skill: "billing", level: 2, earliestMs: T0, latestStartMs: at(60) }),
      need("fix", { skill: "repair", level: 3, earliestMs: at(10), latestStartMs: at(20) }),
    ];
    const greedy = planGreedy(needs, members, ctx());
    expect(greedy.placements.map((p) => [p.callbackId, nameOf(p.agentId)])).toEqual([["bill", "both"]]);
    expect(greedy.unplaced).toEqual([{ callbackId: "fix", reason: "no_agent_free_in_window", earliestOutsideMs: T0 + SLOT }]);
    const plan = planTogether(needs, members, ctx());
    expect(plan.placements.map((p) => [p.callbackId, nameOf(p.agentId), p.startMs])).toEqual([
      ["bill", "biller", T0],
      ["fix", "both", at(10)],
    ]);
    expect(plan.unplaced).toEqual([]);
  });

  it("offers each placed callback its next best agents, best first", () => {
    const members = [member("paris", [1, 2, 3, 4, 5, 4, 3, 2].map((level, i) => agent(`a${i}`, { skills: { repair: level } })))];
    const plan = planTogether([need("x"), need("y")], members, ctx());
    expect(plan.placements.map((p) => nameOf(p.agentId))).toEqual(["a4", "a3"]);
    for (const p of plan.placements) {
      const alts = plan.alternatives.get(p.callbackId) ?? [];
      expect(alts).toHaveLength(5);
      expect(alts.some((a) => a.agentId === p.agentId)).toBe(false);
      for (let i = 1; i < alts.length; i++) expect(alts[i].score).toBeLessThanOrEqual(alts[i - 1].score);
    }
  });
});

describe("sibling shards", () => {
  it("start their ties at different agents, so equal agents are shared out rather than fought over", () => {
    const members = [member("paris", ["a", "b", "c", "d"].map((n) => agent(n)))];
    const firstPick = (tieStart: number) => nameOf(planTogether([need("x")], members, ctx({ tieStart })).placements[0].agentId);
    expect([0, 0.25, 0.5, 0.75].map(firstPick)).toEqual(["a", "b", "c", "d"]);
    // A better agent still wins whatever the tie start.
    const better = [member("paris", [agent("a"), agent("b", { skills: { repair: 5 } }), agent("c"), agent("d")])];
    for (const tieStart of [0, 0.5, 0.75]) expect(nameOf(planTogether([need("x")], better, ctx({ tieStart })).placements[0].agentId)).toBe("b");
  });
});

describe("re-planning", () => {
  // "fixer" holds the 9:00 slot for a routine billing callback (its digest shows it busy then).
  const holder = (over: Partial<CallbackNeed> = {}) =>
    need("routine", { skill: "billing", level: 2, priority: 4, current: { siteId: "paris", agentId: ref("fixer"), startMs: T0 }, latestStartMs: at(30), ...over });
  const mesh = (billerFree: [number, number][], billerLevel = 3) => [
    member("paris", [
      agent("fixer", { skills: { billing: 4, repair: 5 }, free: [[T0 + SLOT, at(480)]] }),
      agent("biller", { skills: { billing: billerLevel }, free: billerFree }),
    ]),
  ];

  it("moves the holder when that lets an urgent callback have the only agent who can take it", () => {
    const needs = [holder(), need("leak", { skill: "repair", priority: 1, earliestMs: T0, latestStartMs: at(15) })];
    const plan = planTogether(needs, mesh([[T0, at(480)]]), ctx());
    expect(plan.placements.map((p) => [p.callbackId, nameOf(p.agentId), p.startMs])).toEqual([
      ["routine", "biller", T0],
      ["leak", "fixer", T0],
    ]);
    expect(movesBetween(needs, plan, SLOT)).toEqual([
      { callbackId: "routine", from: { siteId: "paris", agentId: ref("fixer"), startMs: T0 }, to: plan.placements[0], releaseFirst: false },
    ]);
  });

  it("keeps the holder when moving it gains nothing", () => {
    // The urgent callback has another agent as good; the holder keeps its own slot, at its own start.
    const needs = [holder(), need("leak", { skill: "billing", priority: 1, earliestMs: T0, latestStartMs: at(15) })];
    const plan = planTogether(needs, mesh([[T0, at(480)]], 4), ctx());
    expect(plan.placements.find((p) => p.callbackId === "leak")).toMatchObject({ agentId: ref("biller"), startMs: T0 });
    expect(plan.placements.find((p) => p.callbackId === "routine")).toMatchObject({ agentId: ref("fixer"), startMs: T0 });
    expect(movesBetween(needs, plan, SLOT)).toEqual([]);
    // Alone, too: a slightly better agent elsewhere is not worth a move.
    const alone = [holder()];
    const members = [...mesh([]), member("austin", [agent("cheaper", { skills: { billing: 4 } })])];
    const replanned = planTogether(alone, members, ctx({ costTier: { paris: 1, austin: 0 } }));
    expect(replanned.placements).toMatchObject([{ agentId: ref("fixer"), startMs: T0 }]);
  });

  it("orders moves so that a hold is released before its agent is reserved again", () => {
    const a = { siteId: "paris", agentId: ref("a"), startMs: T0 };
    const b = { siteId: "paris", agentId: ref("b"), startMs: T0 };
    const c = { siteId: "paris", agentId: ref("c"), startMs: T0 };
    const to = (id: string, at: typeof a): Placement => ({ callbackId: id, ...at, score: 1 });
    // x moves a → b while y moves b → c: y goes first. u and v swap d and e: one releases first.
    const d = { siteId: "austin", agentId: ref("d"), startMs: T0 };
    const e = { siteId: "austin", agentId: ref("e"), startMs: T0 };
    const needs = [need("x", { current: a }), need("y", { current: b }), need("u", { current: d }), need("v", { current: e }), need("w", { current: c })];
    const result: PlanResult = {
      placements: [to("x", b), to("y", c), to("u", e), to("v", d), to("w", c)],
      alternatives: new Map(),
      unplaced: [],
    };
    const moves = movesBetween(needs, result, SLOT);
    expect(moves.map((m) => [m.callbackId, m.releaseFirst])).toEqual([
      ["y", false],
      ["x", false],
      ["u", true],
      ["v", false],
    ]);
    // w kept c at its start: not a move. A callback the re-plan cannot place is one (to: null).
    expect(movesBetween([need("z", { current: a })], { placements: [], alternatives: new Map(), unplaced: [] })).toMatchObject([{ callbackId: "z", to: null }]);
  });
});

describe("overflow", () => {
  it("tells the earliest start after the window when nobody is free inside it", () => {
    const members = [member("paris", [agent("late", { free: [[at(120), at(300)]] }), agent("later", { free: [[at(180), at(300)]] })])];
    const plan = planTogether([need("cb", { latestStartMs: at(30) })], members, ctx());
    expect(plan.placements).toEqual([]);
    expect(plan.unplaced).toEqual([{ callbackId: "cb", reason: "no_agent_free_in_window", earliestOutsideMs: at(120) }]);
  });

  it("counts what the plan placed: the second callback of one agent overflows past the first's slot", () => {
    const members = [member("paris", [agent("only")])];
    const plan = planTogether([need("a", { latestStartMs: at(10) }), need("b", { latestStartMs: at(10) })], members, ctx());
    expect(plan.placements).toHaveLength(1);
    expect(plan.unplaced).toEqual([{ callbackId: "b", reason: "no_agent_free_in_window", earliestOutsideMs: T0 + SLOT }]);
  });

  it("has no later start to offer when nobody qualified is ever free", () => {
    const members: MeshMember[] = [member("paris", [agent("off", { free: [], expectedAvailableAtMs: null })])];
    expect(planTogether([need("cb")], members, ctx()).unplaced).toEqual([{ callbackId: "cb", reason: "no_agent_free_in_window", earliestOutsideMs: null }]);
  });

  it("reads a digest without free intervals as free from the expected availability on, and a null end as open", () => {
    const old = agent("old", { free: undefined, expectedAvailableAtMs: at(20) });
    const open = agent("open", { free: [[at(40), null]] });
    expect(planTogether([need("a")], [member("paris", [old])], ctx()).placements).toMatchObject([{ agentId: old.ref, startMs: at(20) }]);
    const far = need("b", { earliestMs: at(60 * 24 * 30), latestStartMs: at(60 * 24 * 31) });
    expect(planTogether([far], [member("paris", [open])], ctx()).placements).toMatchObject([{ agentId: open.ref, startMs: far.earliestMs }]);
  });
});
