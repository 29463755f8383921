/** Builds a site's digest from its roster: the boundary is enforced here, by construction. */
import { DIGEST_VERSION, FREE_HORIZON_MS, MAX_DIGEST_AGENTS, MAX_FREE_INTERVALS, type Digest, type DigestAgent } from "../../federation/wire/digest.ts";
import { expectedAvailableAt, freeCapacity, freeIntervals } from "./availability.ts";
import { isListedOutside, type ListedOutside, type Reservation, type Resource } from "./model.ts";

/** How far ahead "free capacity" looks in a digest: the next slot. */
const DIGEST_SLOT_MS = 15 * 60_000;

export function digestOf(
  siteId: string,
  seq: number,
  ttlMs: number,
  resources: readonly Resource[],
  reservationsOf: (agentId: string) => readonly Reservation[],
  nowMs: number,
  listing: ListedOutside = "federated",
): Digest {
  const agents: DigestAgent[] = [];
  const horizon = nowMs + FREE_HORIZON_MS;
  const skills: Digest["skills"] = {};
  for (const r of resources) {
    if (r.exposure === "internal") continue;
    // A bigger roster is summarised by its first agents rather than sending a digest every member refuses.
    if (agents.length >= MAX_DIGEST_AGENTS) break;
    const listed = isListedOutside(r.exposure, listing);
    const held = reservationsOf(r.id);
    // Logged in with no shift: on duty with no end foreseen, beyond the horizon too.
    const open = r.shift === null && !["offline", "unreachable"].includes(r.state);
    const expected = expectedAvailableAt(r, held, nowMs);
    const free = freeCapacity(r, held, nowMs, nowMs, nowMs + DIGEST_SLOT_MS);
    // A public resource (or any, at a site capped at public) counts in the summary below but is not listed.
    if (listed) {
      agents.push({
        ref: r.ref,
        skills: r.skills,
        channels: r.channels,
        languages: r.languages,
        state: r.state,
        expectedAvailableAtMs: expected,
        capacity: r.capacity,
        freeCapacity: free,
        // One more unit is the usual case (capacity 1) and goes without saying.
        free: freeIntervals(r, held, nowMs, nowMs, nowMs + FREE_HORIZON_MS, MAX_FREE_INTERVALS).map(([s, e, units]) => {
          const end = open && e === horizon ? null : e;
          return units === 1 ? [s, end] : [s, end, units];
        }),
      });
    }
    for (const [name, level] of Object.entries(r.skills)) {
      const s = (skills[name] ??= { agents: 0, available: 0, freeCapacity: 0, maxLevel: 0, earliestAvailableAtMs: null });
      s.agents += 1;
      if (r.state === "available") s.available += 1;
      s.freeCapacity += free;
      s.maxLevel = Math.max(s.maxLevel, level);
      if (expected !== null && (s.earliestAvailableAtMs === null || expected < s.earliestAvailableAtMs)) {
        s.earliestAvailableAtMs = expected;
      }
    }
  }
  return { version: DIGEST_VERSION, siteId, seq, issuedAtMs: nowMs, ttlMs, agents, skills };
}
