/**
 * Availability across the mesh from the latest digests: per slot, how many agents
 * (and at which sites) could take one more callback for a skill on a channel.
 * Pure: digests and times come in as arguments. Digests look a day ahead (their
 * free intervals), so a window is cut to that horizon.
 */
import type { Digest, DigestAgent } from "../../wire/digest.ts";

export interface MeshSlotQuery {
  skill: string;
  minLevel: number;
  channel: string;
  fromMs: number;
  toMs: number;
  slotMs: number;
}

export interface MeshSlotView {
  startMs: number;
  endMs: number;
  agents: number;
  bySite: { siteId: string; agents: number }[];
}

/** At most this many slots in one answer (a day of 5-minute slots). */
export const MAX_MESH_SLOTS = 288;
const AWAY = new Set(["offline", "unreachable"]);

/** Whether the agent can take one more callback over the whole of [startMs, endMs). */
export function freeOver(agent: DigestAgent, startMs: number, endMs: number): boolean {
  if (agent.free) return agent.free.some(([from, to]) => from <= startMs && (to === null || to >= endMs));
  // An older digest without free intervals: free from its expected availability on, if it has capacity now.
  return !AWAY.has(agent.state) && agent.freeCapacity > 0 && agent.expectedAvailableAtMs !== null && agent.expectedAvailableAtMs <= startMs;
}

export function meshSlots(digests: readonly Digest[], q: MeshSlotQuery): MeshSlotView[] {
  const first = Math.floor(q.fromMs / q.slotMs) * q.slotMs;
  const eligible = digests.map((d) => ({
    siteId: d.siteId,
    issuedAtMs: d.issuedAtMs,
    agents: d.agents.filter((a) => (a.skills[q.skill] ?? 0) >= q.minLevel && a.channels.includes(q.channel as DigestAgent["channels"][number])),
  }));
  const slots: MeshSlotView[] = [];
  for (let start = first; start < q.toMs && slots.length < MAX_MESH_SLOTS; start += q.slotMs) {
    const end = start + q.slotMs;
    // A slot already under way counts from the window's start (now, usually), not from its boundary; and a
    // digest speaks from when it was issued on.
    const from = Math.max(start, q.fromMs);
    const bySite = eligible
      .map((site) => ({ siteId: site.siteId, agents: site.agents.filter((a) => freeOver(a, Math.max(from, Math.min(site.issuedAtMs, end - 1)), end)).length }))
      .filter((s) => s.agents > 0)
      .sort((a, b) => a.siteId.localeCompare(b.siteId));
    slots.push({ startMs: start, endMs: end, agents: bySite.reduce((n, s) => n + s.agents, 0), bySite });
  }
  return slots;
}
