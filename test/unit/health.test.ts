import { describe, expect, it } from "vitest";
import { healthOf, nextHealthChangeAt } from "../../federation/wire/health.ts";

const heard = { issuedAtMs: 1_000, receivedAtMs: 1_000, ttlMs: 15_000 };

describe("a member's health", () => {
  it("goes stale after its time to live and down after three more", () => {
    expect(healthOf(heard, 16_000)).toBe("up");
    expect(healthOf(heard, 16_001)).toBe("stale");
    expect(healthOf(heard, 61_000)).toBe("stale");
    expect(healthOf(heard, 61_001)).toBe("down");
    expect(nextHealthChangeAt(heard, 20_000)).toBe(61_001);
  });

  it("counts silence only while this node was watching: after a restart at 600 s, down at 660 s, not before", () => {
    const restartedAt = 600_000;
    expect(healthOf(heard, restartedAt, restartedAt)).toBe("stale");
    expect(nextHealthChangeAt(heard, restartedAt, restartedAt)).toBe(660_001);
    expect(healthOf(heard, 660_000, restartedAt)).toBe("stale");
    expect(healthOf(heard, 660_001, restartedAt)).toBe("down");
    // A fresh digest is up whatever the restart.
    expect(healthOf({ ...heard, receivedAtMs: 605_000 }, 610_000, restartedAt)).toBe("up");
    expect(healthOf({ ...heard, left: true }, restartedAt, restartedAt)).toBe("down");
  });
});
