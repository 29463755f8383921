/**
 * Choosing agents for one callback from the mesh view: pure ranking. The
 * scheduler issue replaces this with weighted scores and joint assignment.
 */
import type { MeshMember } from "../../federation/mesh-view.ts";

export interface Need {
  skill: string;
  level: number;
  channel: string;
  language?: string;
  /** The earliest instant the callback may start. */
  earliestMs: number;
  /** A start after this is no use. */
  latestStartMs: number;
  /** Sites the provider allows, in its order of preference. */
  siteIds: readonly string[];
  excludeSites?: readonly string[];
}

export interface Candidate {
  siteId: string;
  agentId: string;
  level: number;
  startMs: number;
}

/**
 * Agents that have the skill (any level: a missing skill disqualifies) and the
 * channel, at healthy sites, free before the latest start. Those who meet the
 * intent's level come first, then those who speak the customer's language, then
 * the stronger, then the earlier, then the provider's preferred site.
 */
export function rankCandidates(members: readonly MeshMember[], need: Need): Candidate[] {
  const out: (Candidate & { speaks: boolean })[] = [];
  for (const m of members) {
    if (m.health !== "up" || !m.digest || need.excludeSites?.includes(m.siteId) || !need.siteIds.includes(m.siteId)) continue;
    for (const a of m.digest.agents) {
      const level = a.skills[need.skill] ?? 0;
      if (level < 1 || !a.channels.includes(need.channel as never) || a.expectedAvailableAtMs === null) continue;
      const startMs = Math.max(need.earliestMs, a.expectedAvailableAtMs);
      if (startMs > need.latestStartMs) continue;
      out.push({ siteId: m.siteId, agentId: a.ref, level, startMs, speaks: !need.language || a.languages.includes(need.language) });
    }
  }
  const meets = (c: Candidate) => (c.level >= need.level ? 1 : 0);
  return out
    .sort(
      (a, b) =>
        meets(b) - meets(a) ||
        Number(b.speaks) - Number(a.speaks) ||
        b.level - a.level ||
        a.startMs - b.startMs ||
        need.siteIds.indexOf(a.siteId) - need.siteIds.indexOf(b.siteId),
    )
    .map(({ speaks: _, ...c }) => c);
}
