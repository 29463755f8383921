/**
 * Offered slots from the same model as the plan: how many callbacks each slot can still
 * take for an intent across the provider's sites.
 */
import type { MeshMember } from "../../../federation/mesh-view.ts";
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
  const counts = query.slots.map(() => 0);
  const allowed = query.siteIds ? new Set(query.siteIds) : null;
  for (const m of members) {
    if (m.health !== "up" || !m.digest || (allowed && !allowed.has(m.siteId))) continue;
    for (const a of m.digest.agents) {
      if (!(a.channels as readonly string[]).includes(query.channel)) continue;
      if (!query.skills.some((s) => (a.skills[s] ?? 0) >= 1)) continue;
      // Each free unit (lane) counts: an agent with room for three at once takes three.
      for (const free of lanesOf(a)) {
        query.slots.forEach((slot, i) => {
          if (covers(free, slot.startMs, slot.endMs)) counts[i] += 1;
        });
      }
    }
  }
  let pending = Math.max(0, query.pending ?? 0);
  const byStart = query.slots.map((s, i) => i).sort((a, b) => query.slots[a].startMs - query.slots[b].startMs);
  for (const i of byStart) {
    const taken = Math.min(pending, counts[i]);
    counts[i] -= taken;
    pending -= taken;
  }
  return counts;
}
