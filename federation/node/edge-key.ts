/**
 * The edge's public key, which a member checks the signed membership list with:
 * given inline as a JWK, or fetched once at start from a JWKS (by default the
 * edge's own `/.well-known/jwks.json`, over https or loopback only), so a partner
 * need not be handed a file. Given the thumbprint the admin handed out, the key must
 * be that one: a JWKS is only as trustworthy as the way to it.
 */
import { calculateJwkThumbprint, importJWK, type JWK } from "jose";
import { z } from "zod";
import { secureOrLoopback, type EdgeKeySource } from "./cli-options.ts";

const FETCH_TIMEOUT_MS = 5_000;

/** An Ed25519 public key; `d` would make it a private one, which must never travel. */
const edgePublicJwk = z.looseObject({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  // 32 bytes, base64url without padding.
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "x is not a 32-byte base64url key"),
  kid: z.string().optional(),
  use: z.literal("sig").optional(),
  alg: z.enum(["EdDSA", "Ed25519"]).optional(),
});

const jwks = z.looseObject({ keys: z.array(z.unknown()).max(100) });

export interface EdgeKey {
  jwk: JWK;
  /** RFC 7638 thumbprint, for a partner to compare with what the admin says. */
  thumbprint: string;
  /** Where it came from: "--edge-key" or the JWKS URL. */
  from: string;
}

export interface ResolveOptions {
  /** The RFC 7638 SHA-256 thumbprint the key must have (--edge-thumbprint), if known. */
  thumbprint?: string;
  fetchImpl?: typeof fetch;
}

export async function resolveEdgeKey(source: EdgeKeySource, { thumbprint, fetchImpl = fetch }: ResolveOptions = {}): Promise<EdgeKey> {
  const key = "jwk" in source ? await checked(source.jwk, "--edge-key") : await checked(await fetchOneKey(source.jwksUrl, fetchImpl), source.jwksUrl);
  if (thumbprint !== undefined && key.thumbprint !== thumbprint) {
    throw new Error(`the edge's key from ${key.from} has thumbprint ${key.thumbprint}, not ${thumbprint} (--edge-thumbprint, as the admin gave it): not starting`);
  }
  return key;
}

/** The one Ed25519 signing key a JWKS publishes; several would leave the choice to a guess. */
async function fetchOneKey(url: string, fetchImpl: typeof fetch): Promise<unknown> {
  let body: unknown;
  try {
    const res = await fetchImpl(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    // A redirect must not take the key where the URL's own check would not.
    if (res.redirected && !secureOrLoopback(res.url)) throw new Error(`it redirected to ${res.url}, plain http`);
    if (!res.ok) throw new Error(`it answered ${res.status}`);
    body = await res.json();
  } catch (error) {
    throw new Error(`could not read the edge's public key from ${url}: ${reason(error)} (or pass it with --edge-key JWK)`);
  }
  const set = jwks.safeParse(body);
  if (!set.success) throw new Error(`${url} is not a JWKS (no "keys" list)`);
  const usable = set.data.keys.filter((k) => edgePublicJwk.safeParse(k).success);
  if (usable.length === 1) return usable[0];
  throw new Error(
    usable.length === 0
      ? `${url} publishes no Ed25519 signing key`
      : `${url} publishes ${usable.length} Ed25519 keys: pass the one the admin gave you with --edge-key`,
  );
}

async function checked(value: unknown, from: string): Promise<EdgeKey> {
  if (typeof value === "object" && value !== null && "d" in value) {
    throw new Error(`${from} holds a private key: a member needs only the edge's public key (no "d")`);
  }
  const parsed = edgePublicJwk.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${from} is not an Ed25519 public JWK: ${issue?.path.join(".") || "key"}: ${issue?.message}`);
  }
  // Only what the signature check needs, so stray members of the JWK cannot change its meaning.
  const jwk: JWK = { kty: "OKP", crv: "Ed25519", x: parsed.data.x };
  try {
    await importJWK(jwk, "EdDSA");
  } catch (error) {
    throw new Error(`${from} is not a usable Ed25519 key: ${reason(error)}`);
  }
  return { jwk, thumbprint: await calculateJwkThumbprint(jwk), from };
}

const reason = (error: unknown) => (error instanceof Error ? (error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message) : String(error));
