/**
 * The mesh view: the latest digest of every member as this node knows it. The
 * callback cloud chooses agents from it. This version asks each site directly;
 * the gossip issue replaces it with digests received over libp2p, behind the
 * same interface.
 */
import type { Digest } from "./digest.ts";
import type { SiteClient } from "./site-client.ts";

export type MemberHealth = "up" | "stale" | "down";

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
    private readonly gossip: { meshMembers(siteIds: readonly string[]): Promise<MeshMember[]> },
    private readonly direct: MeshView,
  ) {}

  async members(siteIds: readonly string[]): Promise<MeshMember[]> {
    const heard = await this.gossip.meshMembers(siteIds);
    const unheard = heard.filter((m) => !m.heard).map((m) => m.siteId);
    const asked = unheard.length > 0 ? await this.direct.members(unheard) : [];
    return heard.map((m) => (m.heard ? m : (asked.find((a) => a.siteId === m.siteId) ?? m)));
  }
}

/** Reads every site's digest at the moment of asking: always fresh, one round trip per site. */
export class DirectMeshView implements MeshView {
  constructor(
    private readonly sites: SiteClient,
    private readonly now: () => number,
  ) {}

  async members(siteIds: readonly string[]): Promise<MeshMember[]> {
    return Promise.all(
      siteIds.map(async (siteId): Promise<MeshMember> => {
        const answer = await this.sites.digest(siteId);
        if (!answer.ok) return { siteId, health: "down", digest: null, digestAgeMs: null, problem: answer.message };
        const age = Math.max(0, this.now() - answer.value.issuedAtMs);
        return { siteId, health: "up", digest: answer.value, digestAgeMs: age };
      }),
    );
  }
}
