/**
 * The edge's word to one site: a short-lived JWT the edge signs with its membership
 * key (EdDSA) for that site alone (the audience), on every call it makes there
 * (digest, availability, reserve, claim, release, GraphQL). It carries the viewer a
 * GraphQL query is answered for. No member holds a secret that works at another:
 * a site's own tokens, a partner's included, are good at that site only.
 *
 * Keys rotate without downtime: tokens name their key (`kid`, the RFC 7638
 * thumbprint), and a site holds the edge's public keys as one JWK or a set
 * (`{"keys":[old, new]}`) while the edge moves from one to the other.
 */
import { calculateJwkThumbprint, createLocalJWKSet, importJWK, jwtVerify, SignJWT, type JWK, type JWTVerifyGetKey } from "jose";
import { decodeViewer, encodeViewer, type Viewer } from "./viewer.ts";
import { CLOCK_SKEW_S } from "./health.ts";

const ALG = "EdDSA";
export const CLOUD_TOKEN_TYPE = "cloud+jwt";
/** How long a token is good for; a site refuses longer ones. */
export const CLOUD_TOKEN_LIFETIME_S = 300;
/** A token kept for reuse is signed anew once less than this is left of it. */
const RENEW_MS = 60_000;

/** What a site learns from a valid token: that the edge calls, and for whom a GraphQL query is. */
export interface CloudCall {
  viewer: Viewer | null;
}

// ---- keys -------------------------------------------------------------------------------------

/** A signing key (the edge's, or a member's own), imported once per isolate with its kid (derived from env: keyed by the JWK text). */
const signingKeys = new Map<string, Promise<{ key: CryptoKey | Uint8Array; kid: string }>>();
export function signingKeyOf(privateJwk: string) {
  let entry = signingKeys.get(privateJwk);
  if (!entry) {
    if (signingKeys.size >= 4) signingKeys.clear();
    const jwk = JSON.parse(privateJwk) as JWK;
    entry = Promise.all([importJWK(jwk, ALG), calculateJwkThumbprint(jwk)]).then(([key, kid]) => ({ key, kid }));
    signingKeys.set(privateJwk, entry);
  }
  return entry;
}

/** One JWK, or a set of them: every key gets its thumbprint as kid, so a token's kid finds its key. */
export async function edgeKeySet(keys: JWK | { keys: JWK[] }): Promise<JWTVerifyGetKey> {
  const list = "keys" in keys && Array.isArray(keys.keys) ? keys.keys : [keys as JWK];
  const withKids = await Promise.all(
    list.map(async (k) => {
      // A private member must never be used to verify (nor kept around): only the public half.
      const { kty, crv, x } = k;
      return { kty, crv, x, alg: ALG, kid: await calculateJwkThumbprint({ kty, crv, x } as JWK) } as JWK;
    }),
  );
  return createLocalJWKSet({ keys: withKids });
}

/** The edge's public keys as a site's setting holds them (JSON: a JWK or a key set), once per isolate. */
const keySets = new Map<string, Promise<JWTVerifyGetKey | null>>();
export function edgeKeysOf(text: string | undefined): Promise<JWTVerifyGetKey | null> {
  if (!text) return Promise.resolve(null);
  let set = keySets.get(text);
  if (!set) {
    if (keySets.size >= 4) keySets.clear();
    set = (async () => {
      try {
        return await edgeKeySet(JSON.parse(text) as JWK | { keys: JWK[] });
      } catch {
        return null;
      }
    })();
    keySets.set(text, set);
  }
  return set;
}

// ---- the edge signs -----------------------------------------------------------------------------

export async function signCloudToken(privateJwk: string, siteId: string, viewer: Viewer | null, nowMs: number): Promise<string> {
  const { key, kid } = await signingKeyOf(privateJwk);
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT(viewer ? { viewer: encodeViewer(viewer) } : {})
    .setProtectedHeader({ alg: ALG, typ: CLOUD_TOKEN_TYPE, kid })
    .setIssuer("edge")
    .setAudience(siteId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + CLOUD_TOKEN_LIFETIME_S)
    .sign(key);
}

/**
 * Signed tokens kept per isolate for reuse (derived from the key, the site and the
 * viewer; nothing that is not in env): a call then costs no signature in the usual case.
 */
const kept = new Map<string, { token: string; issuedAtMs: number; expiresAtMs: number }>();
export async function cloudTokenFor(privateJwk: string, siteId: string, viewer: Viewer | null, nowMs: number): Promise<string> {
  const cacheKey = `${privateJwk}\n${siteId}\n${viewer ? encodeViewer(viewer) : ""}`;
  const known = kept.get(cacheKey);
  // Not one signed after now: this node's clock stepped back since, and the token would carry its old time.
  if (known && known.issuedAtMs <= nowMs && known.expiresAtMs - nowMs > RENEW_MS) return known.token;
  if (kept.size >= 1000) kept.clear();
  const token = await signCloudToken(privateJwk, siteId, viewer, nowMs);
  kept.set(cacheKey, { token, issuedAtMs: nowMs, expiresAtMs: nowMs + CLOUD_TOKEN_LIFETIME_S * 1000 });
  return token;
}

// ---- a site checks --------------------------------------------------------------------------------

/**
 * Tokens already verified, per isolate: the edge reuses one token per site and viewer
 * for minutes, so a site would otherwise check the same signature on every call. The
 * same bytes carry the same valid signature; the expiry is checked again on each use.
 */
const verified = new Map<string, { call: CloudCall; expiresAtMs: number }>();
const MAX_VERIFIED = 1000;

/** The call a token proves, or null when it is not the edge's, not for this site, expired, or too long-lived. */
export async function verifyCloudToken(token: string, publicKeys: string | undefined, siteId: string, nowMs: number): Promise<CloudCall | null> {
  const cacheKey = `${publicKeys}\n${siteId}\n${token}`;
  const known = verified.get(cacheKey);
  if (known) {
    if (nowMs < known.expiresAtMs) return known.call;
    verified.delete(cacheKey);
  }
  const keys = await edgeKeysOf(publicKeys);
  if (!keys) return null;
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: [ALG],
      issuer: "edge",
      audience: siteId,
      typ: CLOUD_TOKEN_TYPE,
      requiredClaims: ["exp", "iat"],
      maxTokenAge: CLOUD_TOKEN_LIFETIME_S + CLOCK_SKEW_S,
      clockTolerance: CLOCK_SKEW_S,
      currentDate: new Date(nowMs),
    });
    const exp = payload.exp as number;
    if (exp - (payload.iat as number) > CLOUD_TOKEN_LIFETIME_S) return null;
    const viewer = typeof payload.viewer === "string" ? decodeViewer(payload.viewer) : null;
    if (payload.viewer !== undefined && viewer === null) return null;
    const call: CloudCall = { viewer };
    if (verified.size >= MAX_VERIFIED) verified.clear();
    verified.set(cacheKey, { call, expiresAtMs: exp * 1000 });
    return call;
  } catch {
    return null;
  }
}
