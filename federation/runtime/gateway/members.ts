/**
 * The members the gateway stitches: the edge's membership list (the mesh view
 * object owns it and signs it), or, before anyone registered, the sites this edge
 * is configured to reach (service bindings, SITE_URLS). One interface for both, so
 * the stitched schema is rebuilt when either changes. Read at most once per
 * `ttlMs` per isolate: a derived cache, never state.
 */
import { configuredSites, type SiteTransportEnv } from "../site-client.ts";

export interface GatewayMember {
  siteId: string;
  /** `partner` members are third parties: the enterprise's own staff see only what they expose to the federation. */
  trust: "enterprise" | "partner";
  exposure: "public" | "federated";
  /** Where its subgraph answers when the edge has no service binding or configured URL for it. */
  subgraphUrl: string | null;
}

export interface GatewayMembership {
  /** Changes whenever the members do: the stitched schema is cached by it. */
  version: string;
  members: GatewayMember[];
  /** Members the mesh view holds down: not asked (a caller never waits out a dead member's timeout). */
  down: readonly string[];
}

export interface MembershipSource {
  membership(): Promise<{ membership: { seq: number; members: { siteId: string; trust: GatewayMember["trust"]; exposure: GatewayMember["exposure"]; subgraphUrl?: string }[] } }>;
  /** Members held down now (mesh-view.ts). */
  downSites(): Promise<string[]>;
}

/** The edge's own entry in the list (its peer) is not a site. */
export const EDGE_MEMBER_ID = "edge";

export async function readMembership(source: MembershipSource, env: SiteTransportEnv): Promise<GatewayMembership> {
  const [{ membership }, down] = await Promise.all([source.membership(), source.downSites()]);
  const listed = membership.members.filter((m) => m.siteId !== EDGE_MEMBER_ID);
  if (listed.length > 0) {
    const members = listed
      .map((m) => ({ siteId: m.siteId, trust: m.trust, exposure: m.exposure, subgraphUrl: m.subgraphUrl ?? null }))
      .sort((a, b) => a.siteId.localeCompare(b.siteId));
    return {
      // By what the schema is built from, not the list's number alone: a list started afresh (a new mesh view) reuses numbers.
      version: `list:${membership.seq}:${members.map((m) => `${m.siteId}|${m.trust}|${m.exposure}|${m.subgraphUrl ?? ""}`).join(",")}`,
      down,
      members,
    };
  }
  const sites = configuredSites(env);
  return {
    version: `configured:${sites.join(",")}`,
    down: [],
    members: sites.map((siteId) => ({ siteId, trust: "enterprise", exposure: "federated", subgraphUrl: null })),
  };
}

let cached: { atMs: number; value: GatewayMembership } | null = null;

/** The membership, re-read when older than `ttlMs` (0: every call). */
export async function currentMembership(source: MembershipSource, env: SiteTransportEnv, nowMs: number, ttlMs: number): Promise<GatewayMembership> {
  if (cached && ttlMs > 0 && nowMs - cached.atMs < ttlMs) return cached.value;
  const value = await readMembership(source, env);
  cached = { atMs: nowMs, value };
  return value;
}
