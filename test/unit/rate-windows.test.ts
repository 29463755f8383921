import { describe, expect, it } from "vitest";
import { limitsOf, mayDial, shardShare } from "../../objects/callback-cloud/limits.ts";
import { Windows } from "../../objects/rate-limiter/windows.ts";

const perMinute = (limit: number) => ({ name: "m", limit, periodMs: 60_000 });

describe("sliding windows", () => {
  it("let `limit` through in any period, and say when the oldest leaves", () => {
    const w = new Windows();
    expect(w.admit([perMinute(3)], 0).ok).toBe(true);
    expect(w.admit([perMinute(3)], 10_000).ok).toBe(true);
    expect(w.admit([perMinute(3)], 20_000).ok).toBe(true);
    expect(w.admit([perMinute(3)], 30_000)).toEqual({ ok: false, name: "m", limit: 3, periodMs: 60_000, retryAfterMs: 30_000 });
    // A refused request is not counted: at 60 s the first has left, so one more passes, then none until 70 s.
    expect(w.admit([perMinute(3)], 60_000).ok).toBe(true);
    expect(w.admit([perMinute(3)], 60_001)).toMatchObject({ ok: false, retryAfterMs: 9_999 });
    expect(w.admit([perMinute(3)], 70_000).ok).toBe(true);
  });

  it("count a request in every window or in none", () => {
    const w = new Windows();
    const both = [perMinute(10), { name: "h", limit: 2, periodMs: 3_600_000 }];
    expect(w.admit(both, 0).ok).toBe(true);
    expect(w.admit(both, 1).ok).toBe(true);
    expect(w.admit(both, 2)).toMatchObject({ ok: false, name: "h" });
    // The minute window did not count the refused one: eight more pass it alone.
    for (let i = 0; i < 8; i++) expect(w.admit([perMinute(10)], 3 + i).ok).toBe(true);
    expect(w.admit([perMinute(10)], 20).ok).toBe(false);
  });

  it("keep what they saw when the limit changes", () => {
    const w = new Windows();
    for (let i = 0; i < 5; i++) w.admit([perMinute(5)], i);
    expect(w.admit([perMinute(3)], 10).ok).toBe(false);
    expect(w.admit([perMinute(8)], 10).ok).toBe(true);
  });
});

describe("intake limits", () => {
  it("default to one callback per offer and anywhere to dial", () => {
    expect(limitsOf(undefined)).toMatchObject({ callbacksPerOffer: 1, destinationCountries: null });
    expect(limitsOf({ perMinute: 7 }).perMinute).toBe(7);
  });

  it("dial only the listed countries, and never a number of no country when there is a list", () => {
    const us = limitsOf({ destinationCountries: ["US"] });
    expect(mayDial(us, "+15125550142")).toBe(true);
    expect(mayDial(us, "+442079460958")).toBe(false);
    expect(mayDial(us, "+80012345678")).toBe(false);
    expect(mayDial(limitsOf(undefined), "+80012345678")).toBe(true);
  });

  it("share a provider's rate over its shards, rounding up", () => {
    expect(shardShare(10, 4)).toBe(3);
    expect(shardShare(1, 16)).toBe(1);
    expect(shardShare(6000, 1)).toBe(6000);
  });
});
