/** A silent member is asked directly; nothing answering makes it down at once, and a fresh digest undoes that. */
import { describe, expect, it } from "vitest";
import { ANSWER_FRESH_MS, CLOCK_SKEW_S, clockSkewOf, DOWN_AFTER_TTLS, healthOf, PROBE_AFTER_MS, PROBE_EVERY_MS, probedHealth, shouldProbe, withClockSkew, type HeardFrom } from "../../federation/wire/health.ts";

const heard: HeardFrom = { issuedAtMs: 1_000, receivedAtMs: 1_000, ttlMs: 4_000 };

describe("direct probes of silent members", () => {
  it("are made only after two seconds of silence, and at most once a second", () => {
    expect(shouldProbe(heard, 1_000 + PROBE_AFTER_MS, null)).toBe(false);
    expect(shouldProbe(heard, 1_001 + PROBE_AFTER_MS, null)).toBe(true);
    const last = { atMs: 3_500, answered: false };
    expect(shouldProbe(heard, 3_500 + PROBE_EVERY_MS - 1, last)).toBe(false);
    expect(shouldProbe(heard, 3_500 + PROBE_EVERY_MS, last)).toBe(true);
    expect(shouldProbe(null, 10_000, null)).toBe(false);
    expect(shouldProbe({ ...heard, left: true }, 10_000, null)).toBe(false);
  });

  it("make a member whose Worker does not answer down before its digest's time runs out", () => {
    const now = 3_200;
    expect(healthOf(heard, now)).toBe("up");
    expect(probedHealth(healthOf(heard, now), heard, { atMs: 3_100, answered: false }, now)).toBe("down");
    // One that answers keeps the health its gossip gives.
    expect(probedHealth(healthOf(heard, now), heard, { atMs: 3_100, answered: true }, now)).toBe("up");
    // A digest received after the probe makes the probe old news.
    const fresh = { ...heard, receivedAtMs: 3_150 };
    expect(probedHealth(healthOf(fresh, now), fresh, { atMs: 3_100, answered: false }, now)).toBe("up");
  });

  it("keep a member whose Worker answers from counting as down for its silence alone, while the answers are fresh", () => {
    // Silent past its whole time to go down: gossip alone calls it down.
    const now = 1_000 + heard.ttlMs * (1 + DOWN_AFTER_TTLS) + 1;
    expect(healthOf(heard, now)).toBe("down");
    expect(probedHealth("down", heard, { atMs: now - 1_000, answered: true }, now)).toBe("stale");
    // An answer that has grown old says nothing of now.
    expect(probedHealth("down", heard, { atMs: now - ANSWER_FRESH_MS - 1, answered: true }, now)).toBe("down");
    expect(probedHealth("down", heard, { atMs: now - 1_000, answered: false }, now)).toBe("down");
  });
});

describe("a member whose clock is off", () => {
  it("is stale while its clock is more than the tokens tolerate ahead of this node's or behind it, and up again once it is right", () => {
    const skewed = (skewMs: number): HeardFrom => ({ ...heard, issuedAtMs: heard.receivedAtMs + skewMs });
    expect(clockSkewOf(skewed(600_000))).toBe(600_000);
    expect(withClockSkew("up", skewed(600_000))).toBe("stale");
    expect(withClockSkew("up", skewed(-CLOCK_SKEW_S * 1000 - 1))).toBe("stale");
    // Within what tokens tolerate, and gossip's second of delay: nothing to say.
    expect(withClockSkew("up", skewed(CLOCK_SKEW_S * 1000))).toBe("up");
    expect(withClockSkew("up", skewed(-1_200))).toBe("up");
    // Its clock says nothing of whether it is there: a silent member stays as silence makes it.
    expect(withClockSkew("down", skewed(600_000))).toBe("down");
    expect(withClockSkew("up", null)).toBe("up");
  });
});
