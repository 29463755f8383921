import { describe, expect, it } from "vitest";
import { latenessOf, percentile, soakFigures } from "../../chaos/figures.ts";
import type { LedgerCallback } from "../../chaos/invariants.ts";

const AT = Date.parse("2027-01-06T16:00:00Z");
const event = (type: string, atMs: number, detail: Record<string, unknown> = {}) => ({ type, atMs, detail });
const cb = (confirmation: string, over: Partial<LedgerCallback>): LedgerCallback => ({
  confirmation,
  status: "connected",
  windowEndMs: AT + 3_600_000,
  channel: "voice",
  agentRef: null,
  reservationId: null,
  attempts: [],
  updatedAtMs: AT,
  history: [],
  ...over,
});

describe("the soak's figures", () => {
  it("measure a first dial against the last plan made before it", () => {
    const planned = new Date(AT + 60_000).toISOString();
    const replanned = new Date(AT + 120_000).toISOString();
    const c = cb("A", {
      history: [event("scheduled", AT, { at: planned }), event("replanned", AT + 30_000), event("scheduled", AT + 30_000, { at: replanned }), event("dialing", AT + 120_250), event("scheduled", AT + 200_000, { at: planned })],
    });
    expect(latenessOf(c)).toBe(250);
    expect(latenessOf(cb("B", { history: [event("scheduled", AT, { at: planned })] }))).toBeNull();
  });

  it("take nearest-rank percentiles", () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
  });

  it("count what was accepted, moved, ended, waiting, lost and dialed twice, and only the soak's own callbacks", () => {
    const at = new Date(AT).toISOString();
    const f = soakFigures(
      {
        atMs: AT,
        accepted: ["A", "B", "C", "D"],
        callbacks: [
          cb("A", { history: [event("scheduled", AT, { at }), event("replanned", AT), event("dialing", AT + 100)] }),
          cb("B", { status: "expired" }),
          cb("C", { status: "scheduled" }),
          cb("Z", { history: [event("scheduled", AT, { at }), event("dialing", AT + 9_000)] }),
        ],
        dials: [],
        reservations: [],
      },
      [
        { kind: "lost", subject: "D", detail: "" },
        { kind: "dialed_twice", subject: "A", detail: "" },
        { kind: "hold_orphaned", subject: "rsv_1", detail: "" },
      ],
    );
    expect(f).toEqual({
      accepted: 4,
      fired: 1,
      latenessP50Ms: 100,
      latenessP99Ms: 100,
      movedWithReason: 1,
      endedWithReason: 1,
      waiting: 1,
      lost: 1,
      dialedTwice: 1,
      otherViolations: 1,
    });
  });
});
