/**
 * Planning again after the sites refused what a view a second old promised, and agents on
 * a call as their site's digest tells them to the plan.
 */
import { describe, expect, it } from "vitest";
import { planTogether, refusalOf, replanRefused, wasRefused, withRefusals, type Refusal } from "../../objects/callback-cloud/scheduling/index.ts";
import { BUSY_ESTIMATE_MS } from "../../objects/roster/availability.ts";
import { digestOf } from "../../objects/roster/digest-of.ts";
import type { Resource } from "../../objects/roster/model.ts";
import { agent, at, ctx, member, nameOf, need, SLOT, T0 } from "./scheduling-fixtures.ts";

const refused = (siteId: string, name: string | null, startMs = T0, over: Partial<Refusal> = {}): Refusal => ({
  siteId,
  agentId: name === null ? null : agent(name).ref,
  skill: "repair",
  channel: "voice",
  startMs,
  endMs: startMs + SLOT,
  ...over,
});

const placed = (result: ReturnType<typeof planTogether>) => result.placements.map((p) => [nameOf(p.agentId), (p.startMs - T0) / 60_000]);

describe("refusals", () => {
  it("count only when the site had no capacity", () => {
    const t = { siteId: "paris", agentId: agent("ana").ref, startMs: T0 };
    const kind = { skill: "repair", channel: "voice" };
    expect(refusalOf(t, kind, SLOT, { ok: false, status: 409, code: "no_capacity" })).toEqual(refused("paris", "ana"));
    expect(refusalOf({ ...t, agentId: null }, kind, SLOT, { ok: false, status: 409, code: "no_capacity" })).toEqual(refused("paris", null));
    // A site down, a timeout or another conflict tells nothing about the agent's units.
    expect(refusalOf(t, kind, SLOT, { ok: false, status: 503, code: "site_unreachable" })).toBeNull();
    expect(refusalOf(t, kind, SLOT, { ok: false, status: 409, code: "callback_already_reserved" })).toBeNull();
    expect(refusalOf(t, kind, SLOT, { ok: true })).toBeNull();
  });

  it("tell which tries were already refused, so a plan does not ask the same twice", () => {
    const refusals = [refused("paris", "ana"), refused("austin", null)];
    expect(wasRefused(refusals, { siteId: "paris", agentId: agent("ana").ref, startMs: T0 })).toBe(true);
    expect(wasRefused(refusals, { siteId: "austin", agentId: null, startMs: T0 })).toBe(true);
    // Another start, another agent, or the site choosing where an agent was refused: worth asking.
    expect(wasRefused(refusals, { siteId: "paris", agentId: agent("ana").ref, startMs: at(30) })).toBe(false);
    expect(wasRefused(refusals, { siteId: "paris", agentId: agent("bo").ref, startMs: T0 })).toBe(false);
    expect(wasRefused(refusals, { siteId: "paris", agentId: null, startMs: T0 })).toBe(false);
  });

  it("send the callback to the next agent the view has, when the one it named is full", () => {
    const members = [member("paris", [agent("ana", { skills: { repair: 4 } }), agent("bo")])];
    expect(placed(planTogether([need("cb")], members, ctx()))).toEqual([["ana", 0]]);
    expect(placed(replanRefused([need("cb")], members, [refused("paris", "ana")], ctx()))).toEqual([["bo", 0]]);
  });

  it("send it later in its window when every agent is full now, rather than leaving it to wait", () => {
    const members = [member("paris", [agent("ana"), agent("bo")])];
    const result = replanRefused([need("cb")], members, [refused("paris", "ana"), refused("paris", "bo")], ctx());
    expect(placed(result)).toEqual([["ana", 30]]);
    expect(result.unplaced).toEqual([]);
  });

  it("take a site that could not choose as full for every agent of it with the skill and channel, and no other", () => {
    const members = [
      member("paris", [agent("ana"), agent("cy", { skills: { billing: 4 } }), agent("dee", { channels: ["sms"] })]),
      member("austin", [agent("bo")]),
    ];
    const view = withRefusals(members, [refused("paris", null)]);
    const paris = view[0]?.digest?.agents ?? [];
    expect(paris.map((a) => a.free)).toEqual([[[at(30), at(480)]], [[T0, at(480)]], [[T0, at(480)]]]);
    expect(view[1]).toBe(members[1]);
    // The received digests are left as they were.
    expect(members[0]?.digest?.agents[0]?.free).toEqual([[T0, at(480)]]);
  });

  it("take every unit of an agent who takes several at once, and keep open ends open", () => {
    const chat = agent("chat", { capacity: 3, free: [[T0, null, 3]] });
    const old = agent("old", { free: undefined, expectedAvailableAtMs: at(10) });
    const view = withRefusals([member("paris", [chat, old])], [refused("paris", "chat"), refused("paris", "old")]);
    expect(view[0]?.digest?.agents.map((a) => a.free)).toEqual([[[at(30), null, 3]], [[at(30), null]]]);
    const needs = ["a", "b", "c", "d"].map((id) => need(id, { latestStartMs: at(60) }));
    const starts = replanRefused(needs, [member("paris", [chat])], [refused("paris", "chat")], ctx()).placements.map((p) => p.startMs);
    expect(starts).toEqual([at(30), at(30), at(30), at(60)]);
  });

  it("leave a callback unplaced, with the earliest start after its window, when refusals fill the window", () => {
    const members = [member("paris", [agent("ana")])];
    const result = replanRefused([need("cb", { latestStartMs: at(15) })], members, [refused("paris", "ana")], ctx());
    expect(result.placements).toEqual([]);
    expect(result.unplaced).toEqual([{ callbackId: "cb", reason: "no_agent_free_in_window", earliestOutsideMs: at(30) }]);
  });
});

describe("an agent on a call, from its site's digest to the plan", () => {
  const resource = (over: Partial<Resource>): Resource => ({
    id: "ana",
    ref: agent("ana").ref,
    kind: "agent",
    name: "Ana",
    skills: { repair: 3 },
    channels: ["voice"],
    languages: ["en"],
    capacity: 1,
    exposure: "federated",
    shift: null,
    state: "available",
    untilMs: null,
    lastReportAtMs: T0,
    updatedAtMs: T0,
    ...over,
  });
  const viewOf = (r: Resource) => {
    const digest = digestOf("paris", 1, 15_000, [r], () => [], T0);
    return [{ siteId: "paris", health: "up" as const, digest, digestAgeMs: 0 }];
  };

  it("is planned on the units the call leaves free, and on the last one once the call ends", () => {
    const members = viewOf(resource({ capacity: 3, state: "busy" }));
    const result = planTogether(["a", "b", "c"].map((id) => need(id)), members, ctx());
    expect(result.placements.map((p) => p.startMs)).toEqual([T0, T0, T0 + BUSY_ESTIMATE_MS]);
  });

  it("of capacity one is planned once the call ends", () => {
    const result = planTogether([need("a")], viewOf(resource({ state: "busy" })), ctx());
    expect(result.placements.map((p) => p.startMs)).toEqual([T0 + BUSY_ESTIMATE_MS]);
  });
});
