/**
 * A member's health as a node sees it, from the age of its latest digest: `up`
 * while the digest is within its time to live, `stale` after, `down` when stale for
 * long or when it announced leaving. Silence counts only while this node was
 * watching: after the node itself was away (a restart), a member it has not heard
 * from since is stale, not down, until it has had its time to speak again.
 * Pure: time comes in as arguments.
 */
import type { MemberHealth } from "../runtime/mesh-view.ts";

/**
 * Clocks of two nodes may differ by this much: the tokens between them tolerate it
 * (edge-tokens.ts, member-tokens.ts), and a member further off is not planned on.
 */
export const CLOCK_SKEW_S = 30;

/** How long a member may stay stale before it counts as down, in multiples of its time to live. */
export const DOWN_AFTER_TTLS = 3;

export interface HeardFrom {
  issuedAtMs: number;
  ttlMs: number;
  /** When this node received it: ages are measured on our own clock, not the sender's. */
  receivedAtMs: number;
  left?: boolean;
}

/** `watchingSinceMs`: since when this node has been listening without a gap (its start, after a restart). */
export function healthOf(heard: HeardFrom | null, nowMs: number, watchingSinceMs = Number.NEGATIVE_INFINITY): MemberHealth {
  if (!heard || heard.left) return "down";
  if (nowMs - heard.receivedAtMs <= heard.ttlMs) return "up";
  const silentFor = nowMs - Math.max(heard.receivedAtMs, watchingSinceMs);
  return silentFor <= heard.ttlMs * (1 + DOWN_AFTER_TTLS) ? "stale" : "down";
}

/** When the member's health next changes if nothing more is heard (null when it is down for good). */
export function nextHealthChangeAt(heard: HeardFrom | null, nowMs: number, watchingSinceMs = Number.NEGATIVE_INFINITY): number | null {
  if (!heard || heard.left) return null;
  const staleAt = heard.receivedAtMs + heard.ttlMs + 1;
  const downAt = Math.max(heard.receivedAtMs, watchingSinceMs) + heard.ttlMs * (1 + DOWN_AFTER_TTLS) + 1;
  if (nowMs < staleAt) return staleAt;
  if (nowMs < downAt) return downAt;
  return null;
}

/**
 * A member silent this long is asked directly whether its Worker answers: its peer
 * publishes at least every second, so two seconds of silence is already news. The
 * answer turns silence into `down` at once when nothing answers (a site that died).
 * A member whose Worker answers is never `down` for its silence alone: only gossip lost
 * sight of it (its peer died, or gossip is cut between peers), and it still takes its
 * reservations and claims. It stays `stale` (nothing new is planned from its old
 * digest) and keeps its work, for as long as its answers are fresh.
 */
export const PROBE_AFTER_MS = 2_000;
/** A suspect member is asked again at most this often. */
export const PROBE_EVERY_MS = 1_000;

/** What asking a member's Worker directly (GET /healthz) found, and when. */
export interface Probe {
  atMs: number;
  answered: boolean;
}

export function shouldProbe(heard: HeardFrom | null, nowMs: number, last: Probe | null): boolean {
  if (!heard || heard.left) return false;
  return nowMs - heard.receivedAtMs > PROBE_AFTER_MS && (!last || nowMs - last.atMs >= PROBE_EVERY_MS);
}

/** An answer this recent keeps a member that gossip calls down at `stale`. */
export const ANSWER_FRESH_MS = 5_000;

/**
 * Health from gossip, made `down` by a probe since the member's latest digest that found
 * nothing answering, and kept from `down` by one that answered lately.
 */
export function probedHealth(health: MemberHealth, heard: HeardFrom | null, probe: Probe | null, nowMs: number): MemberHealth {
  if (!heard || heard.left || !probe || probe.atMs < heard.receivedAtMs) return health;
  if (!probe.answered) return "down";
  return health === "down" && nowMs - probe.atMs <= ANSWER_FRESH_MS ? "stale" : health;
}

/**
 * How far a member's clock is ahead of this node's (negative: behind), from its latest
 * digest: issued by its clock, received by ours. Gossip's delay adds about a second.
 */
export function clockSkewOf(heard: HeardFrom): number {
  return heard.issuedAtMs - heard.receivedAtMs;
}

/**
 * A member whose clock is off by more than the tokens tolerate refuses the edge's calls
 * (the edge's tokens look expired or not yet valid to it), and the times in its digest are
 * off by as much: it is `stale`, planned on no more, and keeps its work while its clock is
 * wrong. Found by the chaos suite: a site whose clock jumped ten minutes ahead still
 * gossiped `up` and was planned on.
 */
export function withClockSkew(health: MemberHealth, heard: HeardFrom | null): MemberHealth {
  return health === "up" && heard !== null && Math.abs(clockSkewOf(heard)) > CLOCK_SKEW_S * 1000 ? "stale" : health;
}
