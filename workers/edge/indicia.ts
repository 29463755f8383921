/**
 * Indicia: the callback offer handed to a client, as a signed, expiring token
 * bound to the provider and the user. Only this edge can make one.
 */
import { jwtVerify, SignJWT } from "jose";
import { ApiError } from "../shared/errors.ts";

export const INDICIA_TTL_SECONDS = 15 * 60;
const AUDIENCE = "indicia";

export interface IndiciaClaims {
  providerId: string;
  userId: string;
  /** The provider's shard count when the offer was made: the request goes to the user's shard among these. */
  shards: number;
}

/** What a verified token says: its claims, and the offer's own id (its callbacks are counted by it). */
export interface VerifiedIndicia extends IndiciaClaims {
  offerId: string;
}

/** The HMAC key of a secret, imported once per secret rather than by jose on every sign and verify. */
const keys = new Map<string, Promise<CryptoKey>>();

function keyOf(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    // A rotated secret leaves the old key behind: a handful at most over an isolate's life.
    if (keys.size >= 8) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

export async function signIndicia(secret: string, claims: IndiciaClaims, nowMs: number, offer: unknown) {
  const iat = Math.floor(nowMs / 1000);
  const token = await new SignJWT({ pid: claims.providerId, sh: claims.shards, offer })
    .setProtectedHeader({ alg: "HS256", typ: "indicia+jwt" })
    .setIssuer("edge")
    .setAudience(AUDIENCE)
    .setSubject(claims.userId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + INDICIA_TTL_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(await keyOf(secret));
  return { token, expiresAt: new Date((iat + INDICIA_TTL_SECONDS) * 1000).toISOString() };
}

/** The provider and user a token was issued for; 401 for a tampered, expired or foreign one. */
export async function verifyIndicia(secret: string, token: string, nowMs: number): Promise<VerifiedIndicia> {
  try {
    const { payload } = await jwtVerify(token, await keyOf(secret), {
      issuer: "edge",
      audience: AUDIENCE,
      algorithms: ["HS256"],
      typ: "indicia+jwt",
      currentDate: new Date(nowMs),
    });
    if (typeof payload.pid !== "string" || typeof payload.sub !== "string" || typeof payload.jti !== "string") {
      throw new Error("claims missing");
    }
    const shards = typeof payload.sh === "number" && Number.isInteger(payload.sh) && payload.sh >= 1 ? payload.sh : 1;
    return { providerId: payload.pid, userId: payload.sub, shards, offerId: payload.jti };
  } catch {
    throw new ApiError(401, "invalid_indicia", "the callback offer is not valid here, or it has expired; ask for a new one");
  }
}
