/** Arithmetic on free intervals [startMs, endMs): small sorted lists, at most a few dozen long. */
import type { Interval } from "./types.ts";

/**
 * The earliest start s in [fromMs, toMs] such that [s, s + lengthMs) lies inside one free
 * interval; null when there is none. The start is the later of `fromMs` and the interval's
 * own start: agents are offered from the instant they are free, not on a grid.
 */
export function earliestFit(free: readonly Interval[], fromMs: number, toMs: number, lengthMs: number): number | null {
  let best: number | null = null;
  for (const [s, e] of free) {
    const start = s > fromMs ? s : fromMs;
    if (start > toMs || start + lengthMs > e) continue;
    if (best === null || start < best) best = start;
  }
  return best;
}

/** Whether [startMs, endMs) lies inside one free interval. */
export function covers(free: readonly Interval[], startMs: number, endMs: number): boolean {
  for (const [s, e] of free) if (s <= startMs && endMs <= e) return true;
  return false;
}

/** The free intervals less [startMs, endMs): what is left once a callback takes that span. */
export function without(free: readonly Interval[], startMs: number, endMs: number): Interval[] {
  const out: Interval[] = [];
  for (const iv of free) {
    const [s, e] = iv;
    if (e <= startMs || s >= endMs) {
      out.push(iv);
      continue;
    }
    if (s < startMs) out.push([s, startMs]);
    if (e > endMs) out.push([endMs, e]);
  }
  return out;
}

/** The free intervals with [startMs, endMs) added, sorted and merged: a held slot handed back. */
export function withSpan(free: readonly Interval[], startMs: number, endMs: number): Interval[] {
  const all = [...free, [startMs, endMs] as const].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of all) {
    const prev = out[out.length - 1];
    if (prev && s <= prev[1]) prev[1] = Math.max(prev[1], e);
    else out.push([s, e]);
  }
  return out;
}
