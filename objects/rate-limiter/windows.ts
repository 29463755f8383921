/**
 * Sliding windows of the requests a key was allowed: a request passes when fewer than
 * `limit` passed in the last `periodMs`. Each window keeps the times of the last
 * `limit` requests it let through in a ring, so a check is O(1) and exact, and the
 * wait it answers is to the moment the oldest of them leaves the window.
 */

export interface WindowLimit {
  /** What the window counts, as the caller names it ("address", "phone", …). */
  name: string;
  limit: number;
  periodMs: number;
}

export type Admission = { ok: true } | { ok: false; name: string; limit: number; periodMs: number; retryAfterMs: number };

/** The largest window kept: the cost of one key is at most this many numbers per window. */
export const MAX_WINDOW_LIMIT = 100_000;

class Ring {
  private times: Float64Array;
  private next = 0;
  private count = 0;

  constructor(readonly limit: number) {
    this.times = new Float64Array(limit);
  }

  /** The time of the oldest of the last `limit` requests, when `limit` have passed. */
  oldest(): number | null {
    return this.count < this.limit ? null : this.times[this.next];
  }

  push(at: number): void {
    this.times[this.next] = at;
    this.next = (this.next + 1) % this.limit;
    this.count = Math.min(this.count + 1, this.limit);
  }

  /** The newest `limit` times, oldest first: what a resized window keeps. */
  newest(limit: number): number[] {
    const all: number[] = [];
    for (let i = 0; i < this.count; i++) all.push(this.times[(this.next - this.count + i + this.limit) % this.limit]);
    return all.slice(Math.max(0, all.length - limit));
  }
}

export class Windows {
  private readonly rings = new Map<string, Ring>();

  /**
   * Lets a request through every window, or none: when one is full nothing is counted,
   * and the answer names the window and how long until it has room.
   */
  admit(limits: readonly WindowLimit[], nowMs: number): Admission {
    const rings = limits.map((w) => ({ w, ring: this.ringFor(w) }));
    let refusal: Admission = { ok: true };
    for (const { w, ring } of rings) {
      const oldest = ring.oldest();
      if (oldest !== null && oldest > nowMs - w.periodMs) {
        const retryAfterMs = oldest + w.periodMs - nowMs;
        if (refusal.ok || retryAfterMs > refusal.retryAfterMs) refusal = { ok: false, name: w.name, limit: w.limit, periodMs: w.periodMs, retryAfterMs };
      }
    }
    if (!refusal.ok) return refusal;
    for (const { ring } of rings) ring.push(nowMs);
    return refusal;
  }

  private ringFor(w: WindowLimit): Ring {
    const limit = Math.max(1, Math.min(MAX_WINDOW_LIMIT, Math.floor(w.limit)));
    const key = `${w.name}/${w.periodMs}`;
    const known = this.rings.get(key);
    if (known?.limit === limit) return known;
    // A limit the provider changed: the window keeps what it saw, up to its new size.
    const ring = new Ring(limit);
    for (const at of known?.newest(limit) ?? []) ring.push(at);
    this.rings.set(key, ring);
    return ring;
  }
}
