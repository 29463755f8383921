/**
 * Who may call a route, said once. `allow(...roles)` gives a route both the middleware
 * that enforces it and what the OpenAPI document says about it (a security requirement
 * naming the roles, `x-roles`, and a sentence), so the two cannot drift apart.
 */
import { requireRole, type Role } from "./auth.ts";

/** What a caller may be in the document: a token's role, or a caller with no token. */
export type Caller = Role | "customer" | "provider" | "anyone";

/** An OpenAPI security requirement list: alternatives, each naming a scheme and, for bearer, the roles. */
export type Security = Record<string, string[]>[];

/** The bearer scheme both Workers accept: OpenAPI 3.1 lets its requirement list role names. */
export const bearerScheme = {
  type: "http",
  scheme: "bearer",
  description:
    "`Authorization: Bearer <token>`: the admin token (MESH_ADMIN_TOKEN); a JWT this node signed with POST /v1/tokens " +
    "(ops, agent, partner; it must expire); the node's own federation peer by its shared secret (PEER_SECRET); at a site, " +
    "the callback cloud by a token the edge signed for that site alone (EdDSA, typ cloud+jwt, five minutes). Each operation names the roles it accepts in its security requirement and in `x-roles`.",
} as const;

const sentence = (callers: readonly Caller[]) => `Who may call it: ${callers.join(", ")}.`;

/** A route for these roles only: 401 without a token, 403 for any other role. */
export function allow<const R extends Role>(...roles: R[]) {
  return {
    middleware: [requireRole(...roles)],
    security: [{ bearer: [...roles] }] as Security,
    "x-roles": roles,
    description: sentence(roles),
  };
}

/**
 * A route that needs no token (a bad one is still refused with 401). `who` names the
 * caller it is for: customers, or anyone at all.
 */
export function open(who: "customer" | "anyone", why: string) {
  return { security: [] as Security, "x-roles": [who], description: `${sentence([who])} No token: ${why}` };
}
