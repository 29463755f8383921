/**
 * A member's health as a node sees it, from the age of its latest digest: `up`
 * while the digest is within its time to live, `stale` after, `down` when stale for
 * long or when it announced leaving. Silence counts only while this node was
 * watching: after the node itself was away (a restart), a member it has not heard
 * from since is stale, not down, until it has had its time to speak again.
 * Pure: time comes in as arguments.
 */
import type { MemberHealth } from "../runtime/mesh-view.ts";

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
