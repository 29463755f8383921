/**
 * A member's own word: a JWT a site signs with its member key (EdDSA), whose public
 * half is registered with the site in the membership list. It is how one identity
 * works across the mesh: an agent's token from their site is good at that site and
 * at the edge (for their own callbacks), and a partner's token is bound to the
 * partner's own site. Whoever checks it finds the key by the issuer (a member's site
 * id) and the key id (its RFC 7638 thumbprint), so a member rotates by registering
 * its new key beside the old; removing the member (or the key) voids its tokens
 * wherever the new list has reached.
 */
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, type JWK } from "jose";
import { z } from "zod";
import { edgeKeySet, signingKeyOf } from "./edge-tokens.ts";
import { CLOCK_SKEW_S } from "./health.ts";

const ALG = "EdDSA";
export const MEMBER_TOKEN_TYPE = "member+jwt";
/** The longest a member token may live, as for every token in the mesh: 30 days. */
export const MAX_MEMBER_TOKEN_TTL_S = 30 * 86_400;
/** The audience every member token names: the federation, not one node. */
export const MEMBER_TOKEN_AUDIENCE = "callback-mesh";

/** A member's public key as the membership holds it: Ed25519, public half only (a private `d` is refused). */
export const memberPublicKey = z
  .strictObject({
    kty: z.literal("OKP"),
    crv: z.literal("Ed25519"),
    x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "an Ed25519 public key: 32 bytes, base64url"),
    kid: z.string().max(64).optional(),
    alg: z.literal("EdDSA").optional(),
    use: z.literal("sig").optional(),
  })
  .meta({ id: "MemberPublicKey", description: "The public half of a member's signing key (JWK, Ed25519): tokens its site signs are checked with it." });
export type MemberPublicKey = z.infer<typeof memberPublicKey>;

/** What a member may vouch for: its agents, and (a partner) its own staff. Never ops or admin: those are the edge's. */
export type MemberRole = "agent" | "partner";

export interface MemberClaims {
  /** The member (site) that signed it. */
  siteId: string;
  role: MemberRole;
  /** The agent's roster id at its site (agent), or the site id (partner). */
  subject: string;
  /** The agent's opaque ref, which the cloud knows the agent by (agent only). */
  ref: string | null;
}

export async function signMemberToken(
  privateJwk: string,
  claims: { siteId: string; role: MemberRole; subject: string; ref?: string },
  ttlSeconds: number,
  nowMs: number,
): Promise<{ token: string; expiresAt: string }> {
  const { key, kid } = await signingKeyOf(privateJwk);
  const iat = Math.floor(nowMs / 1000);
  const token = await new SignJWT({ role: claims.role, ...(claims.ref ? { ref: claims.ref } : {}) })
    .setProtectedHeader({ alg: ALG, typ: MEMBER_TOKEN_TYPE, kid })
    .setIssuer(claims.siteId)
    .setSubject(claims.subject)
    .setAudience(MEMBER_TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(key);
  return { token, expiresAt: new Date((iat + ttlSeconds) * 1000).toISOString() };
}

/** The public half of a private JWK (JSON), for registering it with the member or checking one's own tokens. */
export async function publicHalf(privateJwk: string): Promise<MemberPublicKey> {
  const { crv, x } = JSON.parse(privateJwk) as JWK;
  const key = { kty: "OKP", crv, x } as JWK;
  return memberPublicKey.parse({ ...key, kid: await calculateJwkThumbprint(key), alg: ALG, use: "sig" });
}

/** True when the token says it is a member token (its header), before anything is checked. */
export function isMemberToken(token: string): boolean {
  try {
    return decodeProtectedHeader(token).typ === MEMBER_TOKEN_TYPE;
  } catch {
    return false;
  }
}

/** The site a member token says signed it (unverified: only to find the key). */
export function claimedIssuer(token: string): string | null {
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === "string" ? iss : null;
  } catch {
    return null;
  }
}

/**
 * Members' key sets, built once per isolate (keyed by the keys themselves, so a rotated
 * list gets its own entry): a token is then checked without working out thumbprints again.
 */
const keySets = new Map<string, ReturnType<typeof edgeKeySet>>();
function keySetOf(keys: readonly MemberPublicKey[]): ReturnType<typeof edgeKeySet> {
  const cacheKey = JSON.stringify(keys);
  let set = keySets.get(cacheKey);
  if (!set) {
    if (keySets.size >= 256) keySets.clear();
    set = edgeKeySet({ keys: keys as JWK[] });
    keySets.set(cacheKey, set);
  }
  return set;
}

/**
 * The claims of a member token checked against that member's registered keys, or
 * null: wrong key, unknown member, expired, without exp, or living past 30 days.
 */
export async function verifyMemberToken(token: string, siteId: string, keys: readonly MemberPublicKey[], nowMs: number): Promise<MemberClaims | null> {
  if (keys.length === 0) return null;
  try {
    const { payload } = await jwtVerify(token, await keySetOf(keys), {
      algorithms: [ALG],
      issuer: siteId,
      audience: MEMBER_TOKEN_AUDIENCE,
      typ: MEMBER_TOKEN_TYPE,
      requiredClaims: ["exp", "iat", "sub"],
      maxTokenAge: MAX_MEMBER_TOKEN_TTL_S + CLOCK_SKEW_S,
      clockTolerance: CLOCK_SKEW_S,
      currentDate: new Date(nowMs),
    });
    if ((payload.exp as number) - (payload.iat as number) > MAX_MEMBER_TOKEN_TTL_S) return null;
    const role = payload.role;
    const subject = payload.sub as string;
    if (role === "agent" && typeof payload.ref === "string" && /^r_[0-9a-f]{20}$/.test(payload.ref)) return { siteId, role, subject, ref: payload.ref };
    // A partner's token speaks for its own site only.
    if (role === "partner" && subject === siteId) return { siteId, role, subject, ref: null };
    return null;
  } catch {
    return null;
  }
}
