/**
 * Which gossiped digests a member believes: pure decisions, no libp2p. The peer
 * maps a verdict onto gossipsub's Accept / Reject / Ignore.
 *
 * - Only members speak: the author (the signer, not whoever relayed it) must be on
 *   the membership list as this member currently knows it.
 * - A member speaks only for itself: the digest's siteId must be the author's site.
 * - Newer only: a digest whose seq is not above the last accepted one for its site
 *   is dropped, so a replay can never roll a site's view back.
 */
import { parseDigest, type Digest } from "../../wire/digest.ts";

export type RejectReason = "unsigned" | "non_member" | "oversized" | "not_json" | "malformed" | "forged";
export type IgnoreReason = "replayed" | "stale";

export type Verdict =
  | { action: "accept"; digest: Digest; siteId: string }
  /** Invalid whoever relays it: gossipsub drops it and does not forward it. */
  | { action: "reject"; reason: RejectReason }
  /**
   * Valid once, just not news: an honest relay can hand us an older digest after a
   * newer one came by a faster path, so this is not the relay's fault (Ignore
   * does not count against the relay's score, Reject would), and it is not forwarded.
   */
  | { action: "ignore"; reason: IgnoreReason };

export interface DigestGate {
  /** `author` is the signer's peer id (null for an unsigned message). */
  check(author: string | null, data: Uint8Array): Verdict;
  /** Digests accepted, and digests turned away by reason. */
  counts(): { accepted: number; rejected: Record<string, number> };
}

export function createDigestGate(memberSite: (peerId: string) => string | null): DigestGate {
  /** Last accepted seq per site; only members' sites get here, so it stays as small as the mesh. */
  const lastSeq = new Map<string, number>();
  const rejected: Record<string, number> = {};
  let accepted = 0;

  function turnAway<V extends Exclude<Verdict, { action: "accept" }>>(verdict: V): V {
    rejected[verdict.reason] = (rejected[verdict.reason] ?? 0) + 1;
    return verdict;
  }

  return {
    check(author, data) {
      if (author === null) return turnAway({ action: "reject", reason: "unsigned" });
      const siteId = memberSite(author);
      if (siteId === null) return turnAway({ action: "reject", reason: "non_member" });
      const parsed = parseDigest(data);
      if (!parsed.ok) return turnAway({ action: "reject", reason: parsed.reason as RejectReason });
      const { digest } = parsed;
      if (digest.siteId !== siteId) return turnAway({ action: "reject", reason: "forged" });
      const last = lastSeq.get(siteId);
      if (last !== undefined && digest.seq <= last) {
        return turnAway({ action: "ignore", reason: digest.seq === last ? "replayed" : "stale" });
      }
      // Recorded here, synchronously, so two digests of one site validated back to back
      // cannot both pass.
      lastSeq.set(siteId, digest.seq);
      accepted++;
      return { action: "accept", digest, siteId };
    },
    counts: () => ({ accepted, rejected: { ...rejected } }),
  };
}
