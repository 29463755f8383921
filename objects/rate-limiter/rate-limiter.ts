/**
 * Rate limits of many keys (client addresses, phone numbers), as one of a fixed set of
 * Durable Objects: a key always reaches the same one (by its hash), so every edge
 * location and shard that sees the key counts in one place, and the objects stay warm
 * (one object per key would create, and store, an object for every new phone number).
 * The windows live in memory: a limiter that is evicted or restarted forgets at most one
 * window's count, which is what a rate limit may lose; nothing else depends on it. The
 * caller's clock is the time: shards pass theirs, so tests move it.
 */
import { DurableObject } from "cloudflare:workers";
import { bucketOf } from "../shared/key-hash.ts";
import { fail } from "../shared/problem.ts";
import { Windows, type Admission, type WindowLimit } from "./windows.ts";

export type { Admission, WindowLimit } from "./windows.ts";

/** How many limiter objects share the keys. */
export const LIMITER_OBJECTS = 32;
/** Keys one object keeps; the least recently seen goes first (its count is the one lost). */
const MAX_KEYS = 50_000;

/** A refusal in the error shape: 429 `rate_limited`, naming the limit and when to come back (Retry-After). */
export const rateLimited = (a: Exclude<Admission, { ok: true }>, what: string) =>
  fail(429, "rate_limited", `too many ${what}; try again in ${Math.ceil(a.retryAfterMs / 1000)} s`, {
    limit: a.name,
    max: a.limit,
    periodSeconds: a.periodMs / 1000,
    retryAfterSeconds: Math.max(1, Math.ceil(a.retryAfterMs / 1000)),
  });

/** The limiter object that counts a key. */
export const limiterFor = (key: string) => `limiter-${bucketOf(key, LIMITER_OBJECTS)}`;

export class RateLimiter extends DurableObject {
  private readonly keys = new Map<string, Windows>();

  /** Counts one request of `key` in every window, or in none when one is full (see windows.ts). */
  async admit(key: string, limits: WindowLimit[], nowMs: number): Promise<Admission> {
    let windows = this.keys.get(key);
    if (windows) {
      // Most recently seen last: a Map keeps insertion order, so the first entry is the one to drop.
      this.keys.delete(key);
    } else {
      windows = new Windows();
      if (this.keys.size >= MAX_KEYS) this.keys.delete(this.keys.keys().next().value as string);
    }
    this.keys.set(key, windows);
    return windows.admit(limits, nowMs);
  }
}
