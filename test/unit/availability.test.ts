import { describe, expect, it } from "vitest";
import {
  BUSY_ESTIMATE_MS,
  estimatedEnd,
  expectedAvailableAt,
  freeCapacity,
  freeIntervals,
  heldIntervals,
  peakOverlap,
  slotCapacity,
  WRAP_UP_ESTIMATE_MS,
} from "../../objects/roster/availability.ts";
import type { Reservation, Resource } from "../../objects/roster/model.ts";

const t = (iso: string) => Date.parse(iso);
const MIN = 60_000;

function agent(over: Partial<Resource> = {}): Resource {
  return {
    id: "ana",
    ref: "r_00000000000000000001",
    kind: "agent",
    name: "Ana",
    skills: { appliance_repair: 4 },
    channels: ["voice"],
    languages: ["en"],
    capacity: 1,
    exposure: "federated",
    shift: null,
    state: "available",
    untilMs: null,
    lastReportAtMs: null,
    updatedAtMs: 0,
    ...over,
  };
}

function held(startIso: string, endIso: string, over: Partial<Reservation> = {}): Reservation {
  return {
    id: `rsv_${startIso}`,
    callbackId: `cb_${startIso}`,
    agentId: "ana",
    skill: "appliance_repair",
    channel: "voice",
    startMs: t(startIso),
    endMs: t(endIso),
    status: "held",
    expiresAtMs: t(endIso),
    createdAtMs: 0,
    ...over,
  };
}

const parisDays = {
  timezone: "Europe/Paris",
  weekly: { mon: [["09:00", "17:00"]], tue: [["09:00", "17:00"]], wed: [["09:00", "17:00"]], thu: [["09:00", "17:00"]], fri: [["09:00", "17:00"]] },
} as Resource["shift"];

describe("peak overlap", () => {
  it("counts overlapping reservations but not back-to-back ones", () => {
    const a = [t("2026-12-02T10:00:00Z"), t("2026-12-02T10:15:00Z")] as const;
    const b = [t("2026-12-02T10:15:00Z"), t("2026-12-02T10:30:00Z")] as const;
    const c = [t("2026-12-02T10:10:00Z"), t("2026-12-02T10:20:00Z")] as const;
    expect(peakOverlap([a, b], a[0], b[1])).toBe(1);
    expect(peakOverlap([a, b, c], a[0], b[1])).toBe(2);
    expect(peakOverlap([a], b[0], b[1])).toBe(0);
  });
});

describe("expected availability", () => {
  const now = t("2026-12-02T10:00:00Z"); // a Wednesday, 11:00 in Paris

  it("is now for an available agent", () => {
    expect(expectedAvailableAt(agent(), [], now)).toBe(now);
  });

  it("is the end of a break", () => {
    const until = t("2026-12-02T10:20:00Z");
    expect(expectedAvailableAt(agent({ state: "break", untilMs: until }), [], now)).toBe(until);
  });

  it("assumes a call ends after the usual handle time when no end was reported", () => {
    expect(expectedAvailableAt(agent({ state: "busy", updatedAtMs: now }), [], now)).toBe(now + BUSY_ESTIMATE_MS);
  });

  it("is the next shift start for an agent who is logged off", () => {
    const evening = t("2026-12-02T17:30:00Z"); // 18:30 Paris, after the shift
    expect(expectedAvailableAt(agent({ state: "offline", shift: parisDays }), [], evening)).toBe(t("2026-12-03T08:00:00Z"));
    expect(expectedAvailableAt(agent({ state: "offline" }), [], now)).toBeNull();
  });

  it("comes after the reservations already held", () => {
    const reservations = [held("2026-12-02T10:00:00Z", "2026-12-02T10:15:00Z"), held("2026-12-02T10:15:00Z", "2026-12-02T10:30:00Z")];
    expect(expectedAvailableAt(agent(), reservations, now)).toBe(t("2026-12-02T10:30:00Z"));
    // With room for two at once the agent is free now.
    expect(expectedAvailableAt(agent({ capacity: 2 }), reservations, now)).toBe(now);
  });

  it("ignores released and expired reservations", () => {
    const gone = [
      held("2026-12-02T10:00:00Z", "2026-12-02T10:15:00Z", { status: "released" }),
      held("2026-12-02T10:00:00Z", "2026-12-02T10:30:00Z", { expiresAtMs: now }),
    ];
    expect(expectedAvailableAt(agent(), gone, now)).toBe(now);
  });

  it("follows the shift across the autumn DST change", () => {
    // Friday 2026-10-23 18:00 Paris (CEST, UTC+2) -> Monday 2026-10-26 09:00 Paris (CET, UTC+1) = 08:00Z.
    const friday = t("2026-10-23T16:00:00Z");
    expect(expectedAvailableAt(agent({ state: "offline", shift: parisDays }), [], friday)).toBe(t("2026-10-26T08:00:00Z"));
    // The same hour a week earlier was 07:00Z.
    expect(expectedAvailableAt(agent({ state: "offline", shift: parisDays }), [], t("2026-10-16T16:00:00Z"))).toBe(
      t("2026-10-19T07:00:00Z"),
    );
  });

  it("carries a logged-in agent past the end of the shift to the next one when reservations fill the rest", () => {
    const late = t("2026-12-02T15:30:00Z"); // 16:30 Paris, half an hour of shift left
    const reservations = [held("2026-12-02T15:30:00Z", "2026-12-02T16:00:00Z")];
    expect(expectedAvailableAt(agent({ shift: parisDays }), reservations, late)).toBe(t("2026-12-03T08:00:00Z"));
  });
});

describe("free capacity", () => {
  const now = t("2026-12-02T10:00:00Z");

  it("is zero across a break and back after it", () => {
    const a = agent({ state: "break", untilMs: t("2026-12-02T10:30:00Z") });
    expect(freeCapacity(a, [], now, t("2026-12-02T10:15:00Z"), t("2026-12-02T10:30:00Z"))).toBe(0);
    expect(freeCapacity(a, [], now, t("2026-12-02T10:30:00Z"), t("2026-12-02T10:45:00Z"))).toBe(1);
  });

  it("stops at the shift boundary", () => {
    const a = agent({ shift: parisDays });
    expect(freeCapacity(a, [], now, t("2026-12-02T15:45:00Z"), t("2026-12-02T16:00:00Z"))).toBe(1);
    expect(freeCapacity(a, [], now, t("2026-12-02T16:00:00Z"), t("2026-12-02T16:15:00Z"))).toBe(0);
    expect(freeCapacity(a, [], now, t("2026-12-03T08:00:00Z"), t("2026-12-03T08:15:00Z"))).toBe(1);
  });

  it("does not count a logged-off agent in the shift it is missing, only from the next one", () => {
    const a = agent({ state: "offline", shift: parisDays });
    expect(freeCapacity(a, [], now, t("2026-12-02T10:15:00Z"), t("2026-12-02T10:30:00Z"))).toBe(0);
    expect(freeCapacity(a, [], now, t("2026-12-03T08:00:00Z"), t("2026-12-03T08:15:00Z"))).toBe(1);
    expect(expectedAvailableAt(a, [], now)).toBe(t("2026-12-03T08:00:00Z"));
  });

  it("sums per slot over agents, less reservations", () => {
    const a = agent({ capacity: 2 });
    const b = agent({ id: "bo", ref: "r_00000000000000000002" });
    const reservations = new Map([["ana", [held("2026-12-02T10:00:00Z", "2026-12-02T10:15:00Z")]]]);
    const slots = slotCapacity([a, b], (id) => reservations.get(id) ?? [], now, now, now + 30 * MIN, 15 * MIN);
    expect(slots.map((s) => s.capacity)).toEqual([2, 3]);
  });
});

describe("free intervals", () => {
  const now = t("2026-12-02T10:00:00Z"); // a Wednesday, 11:00 in Paris

  it("are the shift less what is reserved, earliest first", () => {
    const r = agent({ shift: parisDays });
    const free = freeIntervals(r, [held("2026-12-02T11:00:00Z", "2026-12-02T11:15:00Z")], now, now, now + 86_400_000, 8);
    expect(free).toEqual([
      [now, t("2026-12-02T11:00:00Z"), 1],
      [t("2026-12-02T11:15:00Z"), t("2026-12-02T16:00:00Z"), 1],
      [t("2026-12-03T08:00:00Z"), t("2026-12-03T10:00:00Z"), 1],
    ]);
  });

  it("tell how many more an agent of capacity two can take, span by span", () => {
    const r = agent({ capacity: 2, shift: parisDays });
    const one = held("2026-12-02T11:00:00Z", "2026-12-02T11:15:00Z");
    const close = t("2026-12-02T16:00:00Z");
    expect(freeIntervals(r, [one], now, now, close, 8)).toEqual([
      [now, t("2026-12-02T11:00:00Z"), 2],
      [t("2026-12-02T11:00:00Z"), t("2026-12-02T11:15:00Z"), 1],
      [t("2026-12-02T11:15:00Z"), close, 2],
    ]);
    const two = held("2026-12-02T11:00:00Z", "2026-12-02T11:15:00Z", { id: "rsv_2" });
    expect(freeIntervals(r, [one, two], now, now, close, 8)).toEqual([
      [now, t("2026-12-02T11:00:00Z"), 2],
      [t("2026-12-02T11:15:00Z"), close, 2],
    ]);
  });

  it("are cut at the limit and empty for an agent never on duty", () => {
    const busyDay = [10, 11, 12, 13].map((h) => held(`2026-12-02T${h}:30:00Z`, `2026-12-02T${h}:45:00Z`, { id: `rsv_${h}` }));
    expect(freeIntervals(agent({ shift: parisDays }), busyDay, now, now, now + 86_400_000, 2)).toHaveLength(2);
    expect(freeIntervals(agent({ state: "offline" }), [], now, now, now + 86_400_000, 8)).toEqual([]);
  });
});

describe("an agent on a call", () => {
  const now = t("2026-12-02T10:00:00Z");
  const callEnd = now + BUSY_ESTIMATE_MS;
  const day = now + 86_400_000;

  it("expects a call reported without its end to end at the same instant however often it is asked", () => {
    // Reported at 10:00: over at 10:05 whether asked at 10:00, 10:00:01 or 10:04:59.
    for (const asked of [now, now + 1_000, callEnd - 1]) expect(estimatedEnd(now, BUSY_ESTIMATE_MS, asked)).toBe(callEnd);
    // Still on it at 10:05, and later: a further estimate at a time, always ahead of now.
    expect(estimatedEnd(now, BUSY_ESTIMATE_MS, callEnd)).toBe(callEnd + BUSY_ESTIMATE_MS);
    expect(estimatedEnd(now, BUSY_ESTIMATE_MS, callEnd + 1_000)).toBe(callEnd + BUSY_ESTIMATE_MS);
    expect(estimatedEnd(now, WRAP_UP_ESTIMATE_MS, now + 150_000)).toBe(now + 3 * WRAP_UP_ESTIMATE_MS);
    // A report stamped ahead of the clock (a clock set back) is read as made now.
    expect(estimatedEnd(now + 3_600_000, BUSY_ESTIMATE_MS, now)).toBe(callEnd);
  });

  it("keeps the other units of an agent of capacity three free while the call lasts", () => {
    const r = agent({ capacity: 3, state: "busy", updatedAtMs: now });
    expect(heldIntervals(r, [], now)).toEqual([[now, callEnd]]);
    expect(freeIntervals(r, [], now, now, day, 8)).toEqual([
      [now, callEnd, 2],
      [callEnd, day, 3],
    ]);
    expect(freeCapacity(r, [], now, now, now + 15 * MIN)).toBe(2);
    expect(expectedAvailableAt(r, [], now)).toBe(now);
    const slots = slotCapacity([r], () => [], now, now, now + 30 * MIN, 15 * MIN);
    expect(slots.map((s) => s.capacity)).toEqual([2, 3]);
    // Two reservations over the call take the rest: the next unit frees when the call ends.
    const two = [held("2026-12-02T10:00:00Z", "2026-12-02T10:15:00Z"), held("2026-12-02T10:00:00Z", "2026-12-02T10:15:00Z", { id: "rsv_2" })];
    expect(freeCapacity(r, two, now, now, now + 15 * MIN)).toBe(0);
    expect(expectedAvailableAt(r, two, now)).toBe(callEnd);
  });

  it("gives an agent of capacity one nothing until the call ends; a reported end wins, and wrap-up is a call too", () => {
    const r = agent({ state: "busy", updatedAtMs: now });
    expect(freeIntervals(r, [], now, now, day, 8)).toEqual([[callEnd, day, 1]]);
    expect(freeCapacity(r, [], now, now, now + 15 * MIN)).toBe(0);
    expect(freeCapacity(r, [], now, callEnd, callEnd + 15 * MIN)).toBe(1);
    // The reported end wins over the estimate; wrap-up takes one unit too.
    const until = now + 20 * MIN;
    expect(expectedAvailableAt(agent({ state: "busy", untilMs: until }), [], now)).toBe(until);
    expect(freeIntervals(agent({ capacity: 2, state: "wrap_up", untilMs: until }), [], now, now, day, 8)).toEqual([
      [now, until, 1],
      [until, day, 2],
    ]);
  });

  it("takes a callback claimed and under way to be the call itself, not a second unit", () => {
    const r = agent({ capacity: 2, state: "busy", updatedAtMs: now });
    const dialled = held("2026-12-02T09:55:00Z", "2026-12-02T10:10:00Z", { status: "claimed" });
    expect(heldIntervals(r, [dialled], now)).toEqual([[dialled.startMs, t("2026-12-02T10:10:00Z")]]);
    expect(freeCapacity(r, [dialled], now, now, now + 10 * MIN)).toBe(1);
    // A claimed callback that starts later, or one only held, is a unit of its own.
    const later = held("2026-12-02T10:02:00Z", "2026-12-02T10:17:00Z", { status: "claimed" });
    expect(freeCapacity(r, [later], now, now, now + 15 * MIN)).toBe(0);
    expect(heldIntervals(agent({ capacity: 2 }), [later], now)).toEqual([[later.startMs, later.endMs]]);
  });

  it("is not a call on a break: a break takes every unit", () => {
    const r = agent({ capacity: 3, state: "break", untilMs: now + 30 * MIN });
    expect(heldIntervals(r, [], now)).toEqual([]);
    expect(freeCapacity(r, [], now, now, now + 15 * MIN)).toBe(0);
    expect(freeIntervals(r, [], now, now, day, 8)).toEqual([[now + 30 * MIN, day, 3]]);
  });
});
