import type { MeshView } from "../../objects/mesh-view/mesh-view.ts";
import type { Roster, RosterEnv } from "../../objects/roster/roster.ts";
import type { BudgetEnv } from "../shared/graphql/budget.ts";

/** Bindings of a site Worker (wrangler.toml, env.<site>); secrets come from `wrangler secret put`. */
export interface SiteEnv extends RosterEnv, BudgetEnv {
  ROSTER: DurableObjectNamespace<Roster>;
  MESH_VIEW: DurableObjectNamespace<MeshView>;
  /**
   * The edge's public key (JWK JSON), or its keys while it rotates (`{"keys":[…]}`):
   * membership lists and the callback cloud's calls here must be signed by one of them.
   */
  EDGE_MEMBERSHIP_PUBLIC_KEY?: string;
  /** Bearer token of the `admin` role. */
  MESH_ADMIN_TOKEN: string;
  /** HMAC key for the JWTs this site issues to its agents, ops and partners. */
  SITE_JWT_SECRET: string;
  /**
   * This member's own Ed25519 private key (JWK JSON), its public half registered with the member at the edge: it
   * signs the agents' (and, at a partner, its staff's) tokens, which then work at the edge too. Optional.
   */
  MEMBER_SIGNING_KEY?: string;
  /** Shared with this site's federation peer (the loopback bridge). */
  PEER_SECRET: string;
}
