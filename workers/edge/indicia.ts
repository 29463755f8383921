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
}

export async function signIndicia(secret: string, claims: IndiciaClaims, nowMs: number, offer: unknown) {
  const iat = Math.floor(nowMs / 1000);
  const token = await new SignJWT({ pid: claims.providerId, offer })
    .setProtectedHeader({ alg: "HS256", typ: "indicia+jwt" })
    .setIssuer("edge")
    .setAudience(AUDIENCE)
    .setSubject(claims.userId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + INDICIA_TTL_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(new TextEncoder().encode(secret));
  return { token, expiresAt: new Date((iat + INDICIA_TTL_SECONDS) * 1000).toISOString() };
}

/** The provider and user a token was issued for; 401 for a tampered, expired or foreign one. */
export async function verifyIndicia(secret: string, token: string, nowMs: number): Promise<IndiciaClaims> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      issuer: "edge",
      audience: AUDIENCE,
      algorithms: ["HS256"],
      typ: "indicia+jwt",
      currentDate: new Date(nowMs),
    });
    if (typeof payload.pid !== "string" || typeof payload.sub !== "string") throw new Error("claims missing");
    return { providerId: payload.pid, userId: payload.sub };
  } catch {
    throw new ApiError(401, "invalid_indicia", "the callback offer is not valid here, or it has expired; ask for a new one");
  }
}
