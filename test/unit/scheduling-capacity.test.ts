/** Offered slots: capacity per slot for an intent's skills across the provider's sites, less what waits. */
import { describe, expect, it } from "vitest";
import { offerCapacity, planTogether } from "../../objects/callback-cloud/scheduling/index.ts";
import { agent, at, ctx, member, need } from "./scheduling-fixtures.ts";

const slots = [0, 30, 60, 90].map((m) => ({ startMs: at(m), endMs: at(m + 30) }));

describe("offerCapacity", () => {
  it("counts an agent once, even with several of the skills", () => {
    const members = [member("paris", [agent("both", { skills: { repair: 3, install: 2 } }), agent("one", { skills: { install: 1 } })])];
    expect(offerCapacity(members, { skills: ["repair", "install"], channel: "voice", slots })).toEqual([2, 2, 2, 2]);
    expect(offerCapacity(members, { skills: ["repair"], channel: "voice", slots })).toEqual([1, 1, 1, 1]);
    expect(offerCapacity(members, { skills: ["repair"], channel: "sms", slots })).toEqual([0, 0, 0, 0]);
  });

  it("counts a slot only when the agent's free time covers all of it", () => {
    const members = [
      member("paris", [
        agent("morning", { free: [[at(0), at(45)]] }),
        agent("gap", { free: [[at(0), at(30)], [at(70), at(120)]] }),
        agent("open", { free: [[at(60), null]] }),
        agent("old", { free: undefined, expectedAvailableAtMs: at(30) }),
      ]),
    ];
    expect(offerCapacity(members, { skills: ["repair"], channel: "voice", slots })).toEqual([2, 1, 2, 3]);
  });

  it("takes pending callbacks from the earliest capacity first, whatever the order of the slots", () => {
    const members = [member("paris", [agent("a"), agent("b"), agent("c", { free: [[at(60), at(120)]] })])];
    expect(offerCapacity(members, { skills: ["repair"], channel: "voice", slots })).toEqual([2, 2, 3, 3]);
    expect(offerCapacity(members, { skills: ["repair"], channel: "voice", slots, pending: 3 })).toEqual([0, 1, 3, 3]);
    expect(offerCapacity(members, { skills: ["repair"], channel: "voice", slots: [...slots].reverse(), pending: 3 })).toEqual([3, 3, 1, 0]);
    expect(offerCapacity(members, { skills: ["repair"], channel: "voice", slots, pending: 100 })).toEqual([0, 0, 0, 0]);
  });

  it("sums over up sites only, and only the provider's when it names them", () => {
    const members = [
      member("paris", [agent("p")]),
      member("austin", [agent("a")], { health: "down" }),
      member("manila", [agent("m")], { health: "stale" }),
      member("lyon", [agent("l")]),
    ];
    expect(offerCapacity(members, { skills: ["repair"], channel: "voice", slots })).toEqual([2, 2, 2, 2]);
    expect(offerCapacity(members, { skills: ["repair"], channel: "voice", slots, siteIds: ["paris", "austin"] })).toEqual([1, 1, 1, 1]);
  });
});

describe("offerCapacity on many slots", () => {
  // Per slot, whether each lane's free time covers it: what the count must equal, however it is worked out.
  const naive = (free: [number, number | null, ...number[]][], list: { startMs: number; endMs: number }[]) => {
    const lanes = Math.max(1, ...free.map((f) => f[2] ?? 1));
    return list.map((slot) => {
      let n = 0;
      for (let k = 0; k < lanes; k++) {
        // Lane k is free where more than k units are: touching spans join.
        const spans = free.filter((f) => (f[2] ?? 1) > k).map(([s, e]) => [s, e ?? Number.POSITIVE_INFINITY] as const);
        let from = slot.startMs;
        for (const [s, e] of spans) if (s <= from && e > from) from = e;
        if (from >= slot.endMs) n += 1;
      }
      return n;
    });
  };

  it("counts each lane once per slot, for slots of one length (96 of them) and of mixed lengths", () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    const even = Array.from({ length: 96 }, (_, i) => ({ startMs: at(i * 15), endMs: at(i * 15 + 30) }));
    const mixed = Array.from({ length: 40 }, (_, i) => ({ startMs: at(i * 20), endMs: at(i * 20 + 15 + (i % 3) * 30) }));
    for (const list of [even, mixed, [...even].reverse()]) {
      for (let trial = 0; trial < 30; trial++) {
        const free: [number, number | null, ...number[]][] = [];
        let t = rand(60);
        for (let j = rand(5); j >= 0; j--) {
          const len = 10 + rand(300);
          free.push([at(t), j === 0 && rand(2) === 0 ? null : at(t + len), 1 + rand(3)]);
          t += len + (rand(2) === 0 ? 0 : rand(90));
        }
        const members = [member("paris", [agent("a", { capacity: 3, free })])];
        expect(offerCapacity(members, { skills: ["repair"], channel: "voice", slots: list })).toEqual(naive(free, list));
      }
    }
  });
});

describe("agents who take several callbacks at once", () => {
  it("offer each free unit, span by span", () => {
    const members = [member("paris", [agent("chat", { capacity: 3, free: [[at(0), at(60), 3], [at(60), at(120), 1]] })])];
    expect(offerCapacity(members, { skills: ["repair"], channel: "voice", slots })).toEqual([3, 3, 1, 1]);
  });

  it("are planned as that many lanes: never more at once than their free units", () => {
    const chat = agent("chat", { capacity: 3, free: [[at(0), at(60), 2], [at(60), null, 3]] });
    const needs = ["a", "b", "c"].map((id) => need(id));
    const result = planTogether(needs, [member("paris", [chat])], ctx());
    const starts = result.placements.map((p) => p.startMs).sort((x, y) => x - y);
    // Two now, the third once the third unit frees up; all on the same agent.
    expect(starts).toEqual([at(0), at(0), at(60)]);
    expect(new Set(result.placements.map((p) => p.agentId))).toEqual(new Set([chat.ref]));
    // Alternatives name other agents, not another lane of the chosen one.
    for (const alts of result.alternatives.values()) expect(alts.map((p) => p.agentId)).not.toContain(chat.ref);
  });
});
