/**
 * Offered slots from the same model as the plan: how many callbacks each slot can still
 * take for an intent across the provider's sites.
 */
import type { MeshMember } from "../../../federation/runtime/mesh-view.ts";
import { lanesOf } from "./candidates.ts";
import { covers } from "./intervals.ts";

export interface CapacityQuery {
  /** The intent's skills: an agent with any of them counts, once. */
  skills: readonly string[];
  channel: string;
  slots: readonly { startMs: number; endMs: number }[];
  /** Callbacks waiting for a place: they take the earliest capacity first. */
  pending?: number;
  /** The provider's sites; every member when not given. */
  siteIds?: readonly string[];
}

/**
 * Per slot (in the order given): the free units of the agents of up sites with one of the
 * skills and the channel whose free time covers the whole slot (an agent counted once
 * however many of the skills it has), less the pending callbacks, which are
 * taken from the earliest slots first.
 */
export function offerCapacity(members: readonly MeshMember[], query: CapacityQuery): number[] {
  const { slots } = query;
  const counts = slots.map(() => 0);
  const allowed = query.siteIds ? new Set(query.siteIds) : null;
  const byStart = slots.map((_, i) => i).sort((a, b) => slots[a].startMs - slots[b].startMs);
  const starts = byStart.map((i) => slots[i].startMs);
  const ends = byStart.map((i) => slots[i].endMs);
  // Slots whose ends rise with their starts (one length, as offered) are covered by a free interval in a run of
  // that order: two binary searches per interval instead of a test per slot (agents × lanes × 96 slots otherwise).
  const runs = ends.every((e, k) => k === 0 || e >= ends[k - 1]);
  const added = new Array<number>(slots.length + 1).fill(0);
  for (const m of members) {
    if (m.health !== "up" || !m.digest || (allowed && !allowed.has(m.siteId))) continue;
    for (const a of m.digest.agents) {
      if (!(a.channels as readonly string[]).includes(query.channel)) continue;
      if (!query.skills.some((s) => (a.skills[s] ?? 0) >= 1)) continue;
      // Each free unit (lane) counts: an agent with room for three at once takes three.
      for (const free of lanesOf(a)) {
        if (!runs) {
          slots.forEach((slot, i) => {
            if (covers(free, slot.startMs, slot.endMs)) counts[i] += 1;
          });
          continue;
        }
        // A lane counts once per slot, even where its intervals overlap.
        let last = -1;
        const ordered = free.every((iv, k) => k === 0 || iv[0] >= free[k - 1][0]) ? free : [...free].sort((x, y) => x[0] - y[0]);
        for (const [s, e] of ordered) {
          const lo = Math.max(firstAtLeast(starts, s), last + 1);
          const hi = firstAbove(ends, e) - 1;
          if (lo > hi) continue;
          added[lo] += 1;
          added[hi + 1] -= 1;
          last = hi;
        }
      }
    }
  }
  if (runs) {
    let running = 0;
    byStart.forEach((i, k) => {
      running += added[k];
      counts[i] = running;
    });
  }
  let pending = Math.max(0, query.pending ?? 0);
  for (const i of byStart) {
    const taken = Math.min(pending, counts[i]);
    counts[i] -= taken;
    pending -= taken;
  }
  return counts;
}

/** The first index whose value is at least `x` in an ascending list (its length when none is). */
function firstAtLeast(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose value is above `x` in an ascending list (its length when none is). */
function firstAbove(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
