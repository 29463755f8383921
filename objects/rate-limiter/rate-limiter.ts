/**
 * One key's rate limits (a client address, a phone number), as a Durable Object named
 * for the key: every edge location and shard that sees the key counts in one place.
 * The windows live in memory: a limiter that is evicted or restarted forgets at most
 * one window's count, which is what a rate limit may lose; nothing else depends on it.
 * The caller's clock is the time: shards pass theirs, so tests move it.
 */
import { DurableObject } from "cloudflare:workers";
import { Windows, type Admission, type WindowLimit } from "./windows.ts";

export type { Admission, WindowLimit } from "./windows.ts";

export class RateLimiter extends DurableObject {
  private readonly windows = new Windows();

  /** Counts one request in every window, or in none when one is full (see windows.ts). */
  async admit(limits: WindowLimit[], nowMs: number): Promise<Admission> {
    return this.windows.admit(limits, nowMs);
  }
}
