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

/** EDGE_MEMBERSHIP_PUBLIC_KEY, or else the public half of EDGE_MEMBERSHIP_KEY: never `d`. */
export async function edgeJwks(env: Pick<EdgeEnv, "EDGE_MEMBERSHIP_PUBLIC_KEY" | "EDGE_MEMBERSHIP_KEY">): Promise<Jwks | null> {
  for (const raw of [env.EDGE_MEMBERSHIP_PUBLIC_KEY, env.EDGE_MEMBERSHIP_KEY]) {
    const key = ed25519Public.safeParse(parseJson(raw));
    if (!key.success) continue;
    const { kty, crv, x } = key.data;
    return { keys: [{ kty, crv, x, kid: await calculateJwkThumbprint({ kty, crv, x }, "sha256"), use: "sig", alg: "EdDSA" }] };
  }
  return null;
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
