/**
 * Whom the gateway asks a site for, signed. Sites share the cloud secret (a partner's
 * site too), so the secret alone must not let anyone ask for the staff view: the edge
 * signs the viewer with its membership key (EdDSA), for one site (the audience) and a
 * few minutes. A site believes the viewer only with a valid token for itself; without
 * one the cloud gets the federation's view.
 */
import { importJWK, jwtVerify, SignJWT, type JWK } from "jose";
import { decodeViewer, encodeViewer, type Viewer } from "../graphql/viewer.ts";

const ALG = "EdDSA";
const TYP = "viewer+jwt";
const LIFETIME_S = 300;
/** A token kept for reuse is signed anew once less than this is left of it. */
const RENEW_MS = 60_000;

export async function signViewer(privateJwk: string, viewer: Viewer, siteId: string, nowMs: number): Promise<string> {
  const key = await importJWK(JSON.parse(privateJwk) as JWK, ALG);
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ viewer: encodeViewer(viewer) })
    .setProtectedHeader({ alg: ALG, typ: TYP })
    .setIssuer("edge")
    .setAudience(siteId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + LIFETIME_S)
    .sign(key);
}

/** The edge's public key, imported once per isolate (derived from env; keyed by the JWK itself). */
const publicKeys = new Map<string, ReturnType<typeof importJWK>>();
function publicKeyOf(publicJwk: string): ReturnType<typeof importJWK> {
  let key = publicKeys.get(publicJwk);
  if (!key) {
    if (publicKeys.size >= 4) publicKeys.clear();
    key = importJWK(JSON.parse(publicJwk) as JWK, ALG);
    publicKeys.set(publicJwk, key);
  }
  return key;
}

/**
 * Tokens already verified, per isolate: the edge reuses one token per viewer and site
 * for minutes (ViewerTokens), so a site would otherwise check the same signature on
 * every query. The same bytes carry the same valid signature; the expiry is checked
 * again on each use. Derived from requests, never state: bounded, and cleared when full.
 */
const verified = new Map<string, { viewer: Viewer; expiresAtMs: number }>();
const MAX_VERIFIED = 1000;

/** The viewer a token names for this site, or null when it is not the edge's, not for this site, or expired. */
export async function verifyViewer(token: string | null | undefined, publicJwk: string | undefined, siteId: string, nowMs: number): Promise<Viewer | null> {
  if (!token || !publicJwk) return null;
  const cacheKey = `${publicJwk}\n${siteId}\n${token}`;
  const known = verified.get(cacheKey);
  if (known && nowMs < known.expiresAtMs) return known.viewer;
  try {
    const key = await publicKeyOf(publicJwk);
    const { payload, protectedHeader } = await jwtVerify(token, key, {
      algorithms: [ALG],
      issuer: "edge",
      audience: siteId,
      typ: TYP,
      currentDate: new Date(nowMs),
    });
    const viewer = protectedHeader.typ === TYP && typeof payload.viewer === "string" ? decodeViewer(payload.viewer) : null;
    if (viewer && typeof payload.exp === "number") {
      if (verified.size >= MAX_VERIFIED) verified.clear();
      verified.set(cacheKey, { viewer, expiresAtMs: payload.exp * 1000 });
    }
    return viewer;
  } catch {
    return null;
  }
}

/**
 * Signed viewers kept per isolate for reuse (derived from the key, the viewer and the
 * site; nothing that is not in env): a query then costs no signature in the usual case.
 */
export class ViewerTokens {
  private readonly kept = new Map<string, { token: string; expiresAtMs: number }>();

  async tokenFor(privateJwk: string, viewer: Viewer, siteId: string, nowMs: number): Promise<string> {
    const key = `${privateJwk}\n${encodeViewer(viewer)}\n${siteId}`;
    const kept = this.kept.get(key);
    if (kept && kept.expiresAtMs - nowMs > RENEW_MS) return kept.token;
    if (this.kept.size >= 1000) this.kept.clear();
    const token = await signViewer(privateJwk, viewer, siteId, nowMs);
    this.kept.set(key, { token, expiresAtMs: nowMs + LIFETIME_S * 1000 });
    return token;
  }
}
