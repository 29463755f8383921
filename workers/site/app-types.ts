import type { AuthConfig, AuthVariables } from "../shared/auth.ts";
import type { SiteEnv } from "./env.ts";

export type SiteApp = { Bindings: SiteEnv; Variables: AuthVariables };

export const siteAuth = (env: SiteEnv): AuthConfig => ({
  secrets: { admin: env.MESH_ADMIN_TOKEN, peer: env.PEER_SECRET },
  jwtSecret: env.SITE_JWT_SECRET,
  issuer: `site:${env.SITE_ID}`,
  edge: { publicKeys: env.EDGE_MEMBERSHIP_PUBLIC_KEY, siteId: env.SITE_ID },
});

/** The site's one roster. */
export const rosterOf = (env: SiteEnv) => env.ROSTER.getByName(env.SITE_ID);
