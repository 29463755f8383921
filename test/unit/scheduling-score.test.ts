/** The scheduler's scoring: each term moves the score the right way, and the weights are the provider's. */
import { describe, expect, it } from "vitest";
import type { MeshMember } from "../../federation/runtime/mesh-view.ts";
import {
  DEFAULT_WEIGHTS,
  planTogether,
  rankFor,
  resolveWeights,
  weightsSchema,
  type CallbackNeed,
  type SchedulingContext,
} from "../../objects/callback-cloud/scheduling/index.ts";
import { candidatesFor, meshOf, startOn } from "../../objects/callback-cloud/scheduling/candidates.ts";
import { availabilityTerm, priorityFactor, scorerFor, skillTerm, termsOf } from "../../objects/callback-cloud/scheduling/score.ts";
import { agent, at, ctx, member, nameOf, need, prng, ref, T0 } from "./scheduling-fixtures.ts";

/** Agent names in rank order. */
function ranked(n: CallbackNeed, members: MeshMember[], c: SchedulingContext = ctx()): string[] {
  return rankFor(n, members, c, 50).map((p) => nameOf(p.agentId));
}


describe("scoring terms", () => {
  it("ranks the stronger agent first", () => {
    const members = [member("paris", [agent("mid", { skills: { repair: 3 } }), agent("top", { skills: { repair: 5 } })])];
    expect(ranked(need("cb"), members)).toEqual(["top", "mid"]);
  });

  it("disqualifies an agent without the skill", () => {
    const members = [member("paris", [agent("biller", { skills: { billing: 5 } }), agent("fixer", { skills: { repair: 1 } })])];
    expect(ranked(need("cb"), members)).toEqual(["fixer"]);
    const plan = planTogether([need("cb", { skill: "orders" })], members, ctx());
    expect(plan.placements).toEqual([]);
    expect(plan.unplaced).toEqual([{ callbackId: "cb", reason: "no_qualified_agent", earliestOutsideMs: null }]);
  });

  it("allows an agent below the required level, behind those who meet it", () => {
    const members = [member("paris", [agent("junior", { skills: { repair: 2 } }), agent("able", { skills: { repair: 3 } })])];
    expect(ranked(need("cb", { level: 3 }), members)).toEqual(["able", "junior"]);
    expect(skillTerm(2, 3)).toBeLessThan(0.3);
    expect(skillTerm(3, 3)).toBe(0.6);
    expect(skillTerm(5, 3)).toBe(1);
  });

  it("disqualifies an agent without the channel", () => {
    const members = [member("paris", [agent("phone", { channels: ["voice"] }), agent("texter", { channels: ["sms", "chat"] })])];
    expect(ranked(need("cb", { channel: "sms" }), members)).toEqual(["texter"]);
    expect(ranked(need("cb", { channel: "video" }), members)).toEqual([]);
  });

  it("prefers an agent who speaks the customer's language", () => {
    const members = [member("paris", [agent("anglo", { languages: ["en"] }), agent("franco", { languages: ["en", "fr"] })])];
    expect(ranked(need("cb", { language: "fr" }), members)).toEqual(["franco", "anglo"]);
  });

  it("prefers the earlier start for asap, and more gently inside a timed window", () => {
    const members = [member("paris", [agent("later", { free: [[at(20), at(240)]] }), agent("now", { free: [[T0, at(240)]] })])];
    expect(ranked(need("cb"), members)).toEqual(["now", "later"]);
    const asap = need("cb", { earliestMs: T0, latestStartMs: at(120) });
    const timed = { ...asap, asap: false };
    expect(availabilityTerm(asap, at(30))).toBeCloseTo(0.5);
    expect(availabilityTerm(timed, at(30))).toBeGreaterThan(0.9);
    expect(availabilityTerm(timed, at(120))).toBe(0.75);
    // Inside a timed window a stronger agent an hour later beats a weaker one now; not for asap.
    const strongLater = [member("paris", [agent("weak", { skills: { repair: 3 } }), agent("strong", { skills: { repair: 5 }, free: [[at(60), at(240)]] })])];
    expect(ranked(timed, strongLater)).toEqual(["strong", "weak"]);
    expect(ranked(asap, strongLater)).toEqual(["weak", "strong"]);
  });

  it("prefers the site with the fresher digest, and plans on up sites only", () => {
    const members = [
      member("paris", [agent("old")], { digestAgeMs: 3_000 }),
      member("austin", [agent("fresh")], { digestAgeMs: 100 }),
      member("manila", [agent("gone")], { health: "stale" }),
    ];
    expect(ranked(need("cb"), members)).toEqual(["fresh", "old"]);
    const down = [member("paris", [agent("a")], { health: "down" }), member("austin", [agent("b")], { health: "stale" })];
    expect(ranked(need("cb"), down)).toEqual([]);
  });

  it("prefers the less loaded site, counting what the plan itself placed", () => {
    const members = [member("paris", [agent("p1"), agent("p2")]), member("austin", [agent("a1"), agent("a2")])];
    expect(ranked(need("cb"), members, ctx({ siteLoad: { paris: 6, austin: 1 } }))[0]).toBe("a1");
    expect(ranked(need("cb"), members, ctx({ siteLoad: { paris: 0, austin: 6 } }))[0]).toBe("p1");
    // Two callbacks at once: the second goes to the other site, now the less loaded.
    const plan = planTogether([need("x", { earliestMs: T0 }), need("y", { earliestMs: at(45) })], members, ctx());
    expect(new Set(plan.placements.map((p) => p.siteId))).toEqual(new Set(["paris", "austin"]));
  });

  it("prefers the customer's previous agent", () => {
    const members = [member("paris", [agent("first"), agent("known")])];
    expect(ranked(need("cb"), members)).toEqual(["first", "known"]);
    expect(ranked(need("cb", { previousAgent: { siteId: "paris", agentId: ref("known") } }), members)).toEqual(["known", "first"]);
  });

  it("prefers the cheaper site", () => {
    const members = [member("paris", [agent("dear")]), member("austin", [agent("cheap")])];
    expect(ranked(need("cb"), members, ctx({ costTier: { paris: 3, austin: 0 } }))).toEqual(["cheap", "dear"]);
    expect(ranked(need("cb"), members, ctx({ costTier: { paris: 0, austin: 3 } }))).toEqual(["dear", "cheap"]);
  });

  it("ties go to the provider's preferred site", () => {
    const members = [member("paris", [agent("p")]), member("austin", [agent("a")])];
    expect(ranked(need("cb"), members, ctx({ siteIds: ["austin", "paris"] }))).toEqual(["a", "p"]);
    expect(ranked(need("cb"), members, ctx({ siteIds: ["paris"] }))).toEqual(["p"]);
    expect(ranked(need("cb", { excludeSites: ["paris"] }), members)).toEqual(["a"]);
  });

  it("lets a provider's weights change the ranking", () => {
    const members = [member("paris", [agent("expert", { skills: { repair: 5 } })]), member("austin", [agent("cheap", { skills: { repair: 3 } })])];
    const tiers = { paris: 3, austin: 0 };
    expect(ranked(need("cb"), members, ctx({ costTier: tiers }))).toEqual(["expert", "cheap"]);
    const thrifty = resolveWeights(weightsSchema.parse({ cost: 100, skill: 10 }));
    expect(ranked(need("cb"), members, ctx({ costTier: tiers, weights: thrifty }))).toEqual(["cheap", "expert"]);
  });

  it("validates weight overrides and lays them over the defaults", () => {
    expect(weightsSchema.safeParse({ skill: 101 }).success).toBe(false);
    expect(weightsSchema.safeParse({ skill: -1 }).success).toBe(false);
    expect(weightsSchema.safeParse({ bribe: 5 }).success).toBe(false);
    expect(resolveWeights({ language: 30 })).toEqual({ ...DEFAULT_WEIGHTS, language: 30 });
    expect(resolveWeights(undefined)).toEqual(DEFAULT_WEIGHTS);
    const { priority: _, ...terms } = DEFAULT_WEIGHTS;
    expect(Object.values(terms).reduce((a, b) => a + b, 0)).toBe(100);
  });

  it("counts an urgent callback's placement more, so it wins a scarce agent", () => {
    expect(priorityFactor(1, DEFAULT_WEIGHTS)).toBe(2);
    expect(priorityFactor(5, DEFAULT_WEIGHTS)).toBe(1);
    const members = [member("paris", [agent("only")])];
    const plan = planTogether(
      [need("calm", { priority: 5, latestStartMs: at(10) }), need("urgent", { priority: 1, latestStartMs: at(10) })],
      members,
      ctx(),
    );
    expect(plan.placements.map((p) => p.callbackId)).toEqual(["urgent"]);
  });

  it("keeps scores between 1 and 2 times the priority factor", () => {
    const members = [member("paris", [agent("a", { skills: { repair: 1 }, languages: [] }), agent("b", { skills: { repair: 5 }, languages: ["fr"] })])];
    for (const p of rankFor(need("cb", { language: "fr", priority: 5 }), members, ctx({ siteLoad: { paris: 100 }, costTier: { paris: 3 } }), 5)) {
      expect(p.score).toBeGreaterThanOrEqual(1);
      expect(p.score).toBeLessThanOrEqual(2);
    }
  });

  it("scores as the documented formula says: priority factor × (1 + weighted mean of the terms)", () => {
    const rnd = prng(3);
    const agents = Array.from({ length: 30 }, (_, i) =>
      agent(`a${i}`, { skills: { repair: 1 + (i % 5) }, languages: i % 3 === 0 ? ["en", "fr"] : ["en"], free: [[at(i * 7), at(600)]] }),
    );
    const members = [member("paris", agents.slice(0, 15), { digestAgeMs: 1500 }), member("austin", agents.slice(15), { digestAgeMs: 200 })];
    const weights = { ...DEFAULT_WEIGHTS, cost: 7, load: 12, priority: 60 };
    const c = ctx({ costTier: { paris: 2 }, siteLoad: { austin: 9 }, weights });
    for (let k = 0; k < 50; k++) {
      const n = need(`cb${k}`, {
        level: 1 + Math.floor(rnd() * 5),
        asap: rnd() < 0.5,
        priority: 1 + Math.floor(rnd() * 5),
        language: rnd() < 0.5 ? "fr" : undefined,
        previousAgent: { siteId: "austin", agentId: ref("a20") },
        current: { siteId: "paris", agentId: ref("a3"), startMs: at(30) },
      });
      const mesh = meshOf(members, c, [n]);
      for (const a of candidatesFor(mesh, n)) {
        const start = startOn(n, a, c);
        if (start === null) continue;
        const t = termsOf(n, a, start);
        for (const v of Object.values(t)) expect(v >= 0 && v <= 1).toBe(true);
        const { priority: _, ...w } = weights;
        const mean = Object.entries(w).reduce((s, [key, wk]) => s + wk * t[key as keyof typeof t], 0) / Object.values(w).reduce((x, y) => x + y, 0);
        expect(scorerFor(n, weights)(a, start)).toBeCloseTo(priorityFactor(n.priority, weights) * (1 + mean), 12);
      }
    }
  });
});
