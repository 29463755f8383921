/**
 * The one auth middleware. A bearer token is either a shared secret (admin, the
 * node's own peer) compared in constant time, a JWT this node signed (agents, ops,
 * partners), a member token (an agent's or a partner's, signed with a site's own
 * member key: good at that site and, checked against the membership, at the edge;
 * federation/wire/member-tokens.ts), or at a site, a token the edge signed for this
 * site alone (the callback cloud, federation/wire/edge-tokens.ts). Tokens are never logged.
 */
import type { MiddlewareHandler } from "hono";
import { decodeProtectedHeader, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { CLOUD_TOKEN_TYPE, verifyCloudToken } from "../../federation/wire/edge-tokens.ts";
import { claimedIssuer, MEMBER_TOKEN_TYPE, publicHalf, verifyMemberToken, type MemberPublicKey } from "../../federation/wire/member-tokens.ts";
import type { Viewer } from "../../federation/wire/viewer.ts";
import { systemClock } from "../../objects/shared/clock.ts";
import { ApiError } from "./errors.ts";

export type Principal =
  | { role: "admin" }
  | { role: "ops" }
  /** `rosterId`: the agent's id in its site's roster, known at the edge from a member token (the desk acts at the site with it). */
  | { role: "agent"; agentId: string; rosterId?: string }
  | { role: "partner"; partnerId: string }
  | { role: "peer" }
  /** The edge's callback cloud or gateway; a GraphQL query names whom it is answered for. */
  | { role: "cloud"; viewer: Viewer | null };
export type Role = Principal["role"];

export interface AuthConfig {
  /** Shared secrets by role; an empty or missing one never matches. */
  secrets: Partial<Record<"admin" | "peer", string | undefined>>;
  /** HMAC key of the JWTs this node issues, and the issuer/audience it stamps on them. */
  jwtSecret: string | undefined;
  issuer: string;
  /** At a site: the edge's public keys (a JWK or a key set, JSON) and this site's id, the tokens' audience. */
  edge?: { publicKeys: string | undefined; siteId: string };
  /** At a site: its id and its member key (private JWK JSON), which signs its agents' and its partner staff's member tokens. */
  member?: { siteId: string; signingKey: string | undefined };
  /** At the edge: a member as the membership lists it now (null when it is not one), to check member tokens and partners. */
  members?: (siteId: string) => Promise<MemberRecord | null>;
}

/** What the edge needs of a member to trust its tokens. */
export interface MemberRecord {
  trust: "enterprise" | "partner";
  keys: MemberPublicKey[];
}

/** The longest a token this node issues may live: 30 days. */
const MAX_TOKEN_TTL_S = 30 * 86_400;

export type AuthVariables = { principal: Principal | null };

const encoder = new TextEncoder();

/** Secrets are compared as SHA-256 digests, in constant time: hashing first hides their lengths too. */
const sha256 = (text: string) => crypto.subtle.digest("SHA-256", encoder.encode(text));

/**
 * The digests of this node's own secrets, computed once per isolate: a token is then
 * hashed once and compared with each role's digest, instead of hashing both sides for
 * every role (six digests per request from the cloud). Keyed by the secret itself, so
 * a rotated secret gets its own entry; a few entries at most.
 */
const secretDigests = new Map<string, Promise<ArrayBuffer>>();
function secretDigest(secret: string): Promise<ArrayBuffer> {
  let digest = secretDigests.get(secret);
  if (!digest) {
    if (secretDigests.size >= 16) secretDigests.clear();
    digest = sha256(secret);
    secretDigests.set(secret, digest);
  }
  return digest;
}

export async function principalOf(token: string, config: AuthConfig): Promise<Principal | null> {
  const given = sha256(token);
  for (const role of ["admin", "peer"] as const) {
    const secret = config.secrets[role];
    if (secret && crypto.subtle.timingSafeEqual(await given, await secretDigest(secret))) return { role };
  }
  if (token.split(".").length !== 3) return null;
  const nowMs = systemClock.now();
  const typ = typOf(token);
  if (config.edge && typ === CLOUD_TOKEN_TYPE) {
    const call = await verifyCloudToken(token, config.edge.publicKeys, config.edge.siteId, nowMs);
    return call ? { role: "cloud", viewer: call.viewer } : null;
  }
  if (typ === MEMBER_TOKEN_TYPE) return memberPrincipal(token, config, nowMs);
  if (!config.jwtSecret) return null;
  try {
    const { payload } = await jwtVerify(token, encoder.encode(config.jwtSecret), {
      issuer: config.issuer,
      audience: config.issuer,
      algorithms: ["HS256"],
      // A token that never expires, or lives longer than this node issues them for, is refused.
      requiredClaims: ["exp", "iat"],
      maxTokenAge: MAX_TOKEN_TTL_S,
      currentDate: new Date(nowMs),
    });
    if ((payload.exp as number) - (payload.iat as number) > MAX_TOKEN_TTL_S) return null;
    const sub = typeof payload.sub === "string" ? payload.sub : "";
    switch (payload.role) {
      case "ops":
        return { role: "ops" };
      case "agent":
        return sub ? { role: "agent", agentId: sub } : null;
      case "partner":
        // At the edge a partner is bound to its own site, a partner member of the federation for as long as it is one.
        if (!sub || (config.members && (await config.members(sub))?.trust !== "partner")) return null;
        return { role: "partner", partnerId: sub };
      default:
        return null;
    }
  } catch {
    return null;
  }
}

/**
 * A member token: at a site, only its own (checked with its own key); at the edge,
 * any member's, checked with the keys the membership lists for the member that
 * signed it. An agent is known at the edge by site and ref; a partner's staff only
 * while its site is a partner member. Anything else is refused.
 */
async function memberPrincipal(token: string, config: AuthConfig, nowMs: number): Promise<Principal | null> {
  const siteId = claimedIssuer(token);
  if (!siteId) return null;
  if (config.member) {
    if (siteId !== config.member.siteId || !config.member.signingKey) return null;
    const claims = await verifyMemberToken(token, siteId, [await ownPublicKey(config.member.signingKey)], nowMs);
    if (!claims) return null;
    return claims.role === "agent" ? { role: "agent", agentId: claims.subject } : { role: "partner", partnerId: siteId };
  }
  if (!config.members) return null;
  const member = await config.members(siteId);
  if (!member) return null;
  const claims = await verifyMemberToken(token, siteId, member.keys, nowMs);
  if (!claims) return null;
  if (claims.role === "agent") return { role: "agent", agentId: `${siteId}:${claims.ref}`, rosterId: claims.subject };
  return member.trust === "partner" ? { role: "partner", partnerId: siteId } : null;
}

/** A site's own public key, worked out from its member key once per isolate (keyed by the key itself). */
const ownKeys = new Map<string, Promise<MemberPublicKey>>();
function ownPublicKey(signingKey: string): Promise<MemberPublicKey> {
  let key = ownKeys.get(signingKey);
  if (!key) {
    if (ownKeys.size >= 4) ownKeys.clear();
    key = publicHalf(signingKey);
    ownKeys.set(signingKey, key);
  }
  return key;
}

/** The protected header's `typ`, or null when the token has no readable header. */
function typOf(token: string): string | null {
  try {
    return decodeProtectedHeader(token).typ ?? null;
  } catch {
    return null;
  }
}

export const ISSUABLE_ROLES = ["agent", "ops", "partner"] as const;
export type IssuableRole = (typeof ISSUABLE_ROLES)[number];

/** The answer of POST /v1/tokens at every node. */
export const issuedTokenSchema = z
  .strictObject({ role: z.enum(ISSUABLE_ROLES), subject: z.string(), token: z.string(), expiresAt: z.iso.datetime() })
  .meta({
    id: "IssuedToken",
    description:
      "A JWT this node signed for a role and a subject, and when it expires: HS256, good at this node alone; or, from a site with a member key, " +
      "an agent's (or its own partner staff's) member token (EdDSA, typ member+jwt), good at the site and at the edge.",
  });

/** How long an issued token lives: a minute to 30 days, half a day by default. */
export const tokenTtlSeconds = z.number().int().min(60).max(MAX_TOKEN_TTL_S).default(12 * 3600);

export async function issueToken(
  config: AuthConfig,
  role: IssuableRole,
  subject: string,
  ttlSeconds: number,
  nowMs: number,
): Promise<{ token: string; expiresAt: string }> {
  if (!config.jwtSecret) throw new ApiError(503, "not_configured", "this node has no key to sign tokens with");
  const iat = Math.floor(nowMs / 1000);
  const token = await new SignJWT({ role })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(subject)
    .setIssuer(config.issuer)
    .setAudience(config.issuer)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(encoder.encode(config.jwtSecret));
  return { token, expiresAt: new Date((iat + ttlSeconds) * 1000).toISOString() };
}

/** Reads the bearer token, if any, into `principal`. Refusing is `requireRole`'s job. */
export function authenticate<E extends { Bindings: object }>(
  configOf: (env: E["Bindings"]) => AuthConfig,
): MiddlewareHandler<E & { Variables: AuthVariables }> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    c.set("principal", match ? await principalOf(match[1], configOf(c.env)) : null);
    if (header && !c.get("principal")) throw new ApiError(401, "unauthorized", "the bearer token is not valid here");
    await next();
  };
}

/** 401 without a principal, 403 when its role may not call the route. */
export function requireRole(...roles: Role[]): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const principal = c.get("principal");
    if (!principal) throw new ApiError(401, "unauthorized", "this route needs a bearer token");
    if (!roles.includes(principal.role)) {
      throw new ApiError(403, "forbidden", `the ${principal.role} role may not do this`, { allowed: roles });
    }
    await next();
  };
}
