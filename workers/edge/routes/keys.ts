/**
 * GET /.well-known/jwks.json: the edge's public membership-signing key as a JWKS, so
 * a partner's peer can fetch it from the edge instead of being handed a file. The
 * same key checks the signed membership list and the viewers the gateway signs.
 */
import { createRoute } from "@hono/zod-openapi";
import { calculateJwkThumbprint } from "jose";
import { z } from "zod";
import { open } from "../../shared/access.ts";
import { ApiError } from "../../shared/errors.ts";
import { jsonAnswer, newApp, withErrors } from "../../shared/openapi.ts";
import type { EdgeApp } from "../app-types.ts";
import type { EdgeEnv } from "../env.ts";

/** Keys change rarely, and a peer reads them once at start: an hour in any cache is harmless. */
const CACHE_CONTROL = "public, max-age=3600";

/** The public half of an Ed25519 key: 32 bytes, base64url without padding. */
const ed25519Public = z.object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });

export const publicJwkSchema = z
  .strictObject({
    kty: z.literal("OKP"),
    crv: z.literal("Ed25519"),
    x: z.string(),
    kid: z.string().meta({ description: "The key's RFC 7638 thumbprint (SHA-256, base64url)" }),
    use: z.literal("sig"),
    alg: z.literal("EdDSA"),
  })
  .meta({ id: "PublicJwk", description: "An Ed25519 public key the edge signs with." });

export const jwksSchema = z
  .strictObject({ keys: z.array(publicJwkSchema) })
  .meta({ id: "Jwks", description: "The edge's public signing keys (RFC 7517 JWK Set)." });
export type Jwks = z.infer<typeof jwksSchema>;

/**
 * The key set the edge publishes. With EDGE_MEMBERSHIP_KEY set, its public half is
 * derived from the private key itself (what the edge signs with; `d` never leaves),
 * and an EDGE_MEMBERSHIP_PUBLIC_KEY beside it must be that same key: a stale one
 * would hand partners a key that checks nothing, so the edge refuses (503
 * `misconfigured`) rather than publish either. EDGE_MEMBERSHIP_PUBLIC_KEY alone is
 * published as it is; null when neither is set.
 */
export async function edgeJwks(env: Pick<EdgeEnv, "EDGE_MEMBERSHIP_PUBLIC_KEY" | "EDGE_MEMBERSHIP_KEY">): Promise<Jwks | null> {
  const given = env.EDGE_MEMBERSHIP_PUBLIC_KEY ? ed25519Public.safeParse(parseJson(env.EDGE_MEMBERSHIP_PUBLIC_KEY)) : null;
  if (!env.EDGE_MEMBERSHIP_KEY) return given?.success ? jwksOf(given.data.x) : null;

  const x = await derivedPublicX(env.EDGE_MEMBERSHIP_KEY);
  if (x === null) throw misconfigured("EDGE_MEMBERSHIP_KEY is not an Ed25519 private JWK", {});
  const jwks = await jwksOf(x);
  if (given && !(given.success && given.data.x === x)) {
    // Thumbprints only (public, and what an admin compares): never a key.
    throw misconfigured("EDGE_MEMBERSHIP_PUBLIC_KEY is not the public half of EDGE_MEMBERSHIP_KEY", {
      signingKid: jwks.keys[0]!.kid,
      publicKeySecret: given.success ? await thumbprint(given.data.x) : "not an Ed25519 public JWK",
    });
  }
  return jwks;
}

const thumbprint = (x: string) => calculateJwkThumbprint({ kty: "OKP", crv: "Ed25519", x }, "sha256");

async function jwksOf(x: string): Promise<Jwks> {
  return { keys: [{ kty: "OKP", crv: "Ed25519", x, kid: await thumbprint(x), use: "sig", alg: "EdDSA" }] };
}

/**
 * `x` as computed from the private key's `d` by the runtime (importing and exporting
 * it), not as copied from the JWK's own `x` member, which nothing checks.
 */
async function derivedPublicX(raw: string): Promise<string | null> {
  const jwk = parseJson(raw) as JsonWebKey | null;
  if (!jwk || jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.d !== "string") return null;
  try {
    const key = await crypto.subtle.importKey("jwk", jwk, { name: "Ed25519" }, true, ["sign"]);
    const x = ((await crypto.subtle.exportKey("jwk", key)) as JsonWebKey).x;
    return typeof x === "string" && ed25519Public.shape.x.safeParse(x).success ? x : null;
  } catch {
    return null;
  }
}

/** Logged for the operator with what to compare; the answer says only that the edge is misconfigured. */
function misconfigured(problem: string, context: Record<string, string>): ApiError {
  console.error("edge JWKS refused:", problem, JSON.stringify(context));
  return new ApiError(503, "misconfigured", "the edge's membership keys are misconfigured: it publishes none until its operator fixes them");
}

function parseJson(raw: string | undefined): unknown {
  try {
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

export const keys = newApp<EdgeApp>().openapi(
  createRoute({
    method: "get",
    path: "/jwks.json",
    operationId: "getJwks",
    tags: ["keys"],
    summary: "The edge's public signing key: partners' peers check the signed membership list with it",
    ...open("anyone", "public keys; cacheable for an hour."),
    responses: {
      200: {
        ...jsonAnswer(jwksSchema, "the key set"),
        headers: z.object({ "cache-control": z.string().meta({ example: CACHE_CONTROL }) }),
      },
      ...withErrors(503),
    },
  }),
  async (c) => {
    const jwks = await edgeJwks(c.env);
    if (!jwks) throw new ApiError(503, "not_configured", "the edge has no membership key (EDGE_MEMBERSHIP_PUBLIC_KEY or EDGE_MEMBERSHIP_KEY)");
    return c.json(jwks, 200, { "cache-control": CACHE_CONTROL });
  },
);
