/**
 * A member's health as a node sees it, from the age of its latest digest: `up`
 * while the digest is within its time to live, `stale` after, `down` when stale for
 * long or when it announced leaving. Pure: time comes in as an argument.
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

export function healthOf(heard: HeardFrom | null, nowMs: number): MemberHealth {
  if (!heard || heard.left) return "down";
  const age = nowMs - heard.receivedAtMs;
  if (age <= heard.ttlMs) return "up";
  return age <= heard.ttlMs * (1 + DOWN_AFTER_TTLS) ? "stale" : "down";
}

/** When the member's health next changes if nothing more is heard (null when it is down for good). */
export function nextHealthChangeAt(heard: HeardFrom | null, nowMs: number): number | null {
  if (!heard || heard.left) return null;
  const staleAt = heard.receivedAtMs + heard.ttlMs + 1;
  const downAt = heard.receivedAtMs + heard.ttlMs * (1 + DOWN_AFTER_TTLS) + 1;
  if (nowMs < staleAt) return staleAt;
  if (nowMs < downAt) return downAt;
  return null;
}
