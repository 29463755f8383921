/**
 * The mesh view: the latest digest of every member as this node knows it. The
 * callback cloud chooses agents from it. This version asks each site directly;
 * the gossip issue replaces it with digests received over libp2p, behind the
 * same interface.
 */
import type { Digest } from "../wire/digest.ts";
import type { SiteClient } from "./site-client.ts";

export const MEMBER_HEALTH = ["up", "stale", "down"] as const;
export type MemberHealth = (typeof MEMBER_HEALTH)[number];

export interface MeshMember {
  siteId: string;
  health: MemberHealth;
  digest: Digest | null;
  digestAgeMs: number | null;
  /** Whether this node has ever had a digest from the member (gossip reached it). */
  heard?: boolean;
  /** Why a member is not up, for events and errors. */
  problem?: string;
}

export interface MeshView {
  members(siteIds: readonly string[]): Promise<MeshMember[]>;
}

/**
 * Gossip first: members this node has heard from are judged by their latest digest
 * (a silent one is stale, then down, and is not planned on); a member never heard
 * from (no peer running for it yet) is asked directly.
 */
export class GossipMeshView implements MeshView {
  constructor(
    // RPC typing turns tuples into arrays; the members are the mesh view object's own, already validated.
    private readonly gossip: { meshMembers(siteIds: readonly string[]): Promise<unknown> },
    private readonly direct: MeshView,
  ) {}

  /** Asks under way, by the sites asked for: a request that comes while one is out takes its answer, a moment old. */
  private readonly asking = new Map<string, Promise<MeshMember[]>>();

  async members(siteIds: readonly string[]): Promise<MeshMember[]> {
    const key = siteIds.join("\n");
    let answer = this.asking.get(key);
    if (!answer) {
      answer = (this.gossip.meshMembers(siteIds) as Promise<MeshMember[]>).finally(() => this.asking.delete(key));
      this.asking.set(key, answer);
    }
    const heard = await answer;
    const unheard = heard.filter((m) => !m.heard).map((m) => m.siteId);
    const asked = unheard.length > 0 ? await this.direct.members(unheard) : [];
    return heard.map((m) => (m.heard ? m : (asked.find((a) => a.siteId === m.siteId) ?? m)));
  }
}

/**
 * Reads each site's digest when asked, keeping it for up to `maxAgeMs` (a second by
 * default, like gossip's refresh): a burst of callbacks shares one reading, and a
 * stale one costs at most a refused reservation and the next candidate.
 */
export class DirectMeshView implements MeshView {
  private readonly cache = new Map<string, { atMs: number; member: MeshMember }>();
  /** Readings under way: callers that miss the cache together share one read (and one parse) instead of each asking. */
  private readonly reading = new Map<string, Promise<MeshMember>>();

  constructor(
    private readonly sites: SiteClient,
    private readonly now: () => number,
    private readonly maxAgeMs = 1_000,
  ) {}

  async members(siteIds: readonly string[]): Promise<MeshMember[]> {
    return Promise.all(
      siteIds.map(async (siteId): Promise<MeshMember> => {
        const now = this.now();
        const kept = this.cache.get(siteId);
        if (kept && now - kept.atMs < this.maxAgeMs) return kept.member;
        const under = this.reading.get(siteId);
        if (under) return under;
        const read = this.read(siteId, now).finally(() => this.reading.delete(siteId));
        this.reading.set(siteId, read);
        return read;
      }),
    );
  }

  private async read(siteId: string, now: number): Promise<MeshMember> {
    const answer = await this.sites.digest(siteId);
    const member: MeshMember = answer.ok
      ? { siteId, health: "up", digest: answer.value, digestAgeMs: Math.max(0, now - answer.value.issuedAtMs) }
      : { siteId, health: "down", digest: null, digestAgeMs: null, problem: answer.message };
    this.cache.set(siteId, { atMs: now, member });
    return member;
  }
}
