import type { AuthConfig, AuthVariables } from "../shared/auth.ts";
import type { SiteEnv } from "./env.ts";
import type { ListScope } from "../../objects/roster/graph-reads.ts";
import { listedOutside, type ListedOutside } from "../../objects/roster/model.ts";

export type SiteApp = { Bindings: SiteEnv; Variables: AuthVariables };

export const siteAuth = (env: SiteEnv): AuthConfig => ({
  secrets: { admin: env.MESH_ADMIN_TOKEN, peer: env.PEER_SECRET },
  jwtSecret: env.SITE_JWT_SECRET,
  issuer: `site:${env.SITE_ID}`,
  edge: { publicKeys: env.EDGE_MEMBERSHIP_PUBLIC_KEY, siteId: env.SITE_ID },
  member: { siteId: env.SITE_ID, signingKey: env.MEMBER_SIGNING_KEY },
});

/**
 * What this site lists outside its boundary: its own `exposure` cap, as the membership list it
 * holds (signed by the edge) says. A site not (yet) in a list lists its federated resources.
 */
export async function ownListing(env: SiteEnv): Promise<ListedOutside> {
  return listedOutside((await env.MESH_VIEW.getByName("mesh").member(env.SITE_ID))?.exposure);
}

/** What a caller may list of this site's roster: all inside its boundary, else what the site lists outside it. */
export async function listScope(env: SiteEnv, whole: boolean): Promise<ListScope> {
  return whole ? "whole" : ownListing(env);
}

/** The site's one roster. */
export const rosterOf = (env: SiteEnv) => env.ROSTER.getByName(env.SITE_ID);
