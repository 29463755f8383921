import type { Context } from "hono";
import type { Actor } from "../../objects/callback-cloud/callback-shard.ts";
import type { IntakeCaller } from "../../objects/callback-cloud/intake-guard.ts";
import { normalizeConfirmation, placeOf } from "../../objects/callback-cloud/confirmation.ts";
import { shardIndexes, shardName } from "../../objects/callback-cloud/shards.ts";
import { clientKey } from "../../objects/shared/client-address.ts";
import type { AuthConfig, AuthVariables, Principal } from "../shared/auth.ts";
import { ApiError } from "../shared/errors.ts";
import type { EdgeEnv } from "./env.ts";

export type EdgeApp = { Bindings: EdgeEnv; Variables: AuthVariables };

export const EDGE_ISSUER = "edge";

export const edgeAuth = (env: EdgeEnv): AuthConfig => ({
  secrets: { admin: env.MESH_ADMIN_TOKEN, peer: env.PEER_SECRET },
  jwtSecret: env.EDGE_JWT_SECRET,
  issuer: EDGE_ISSUER,
  // Read from the mesh view on each use: a member removed (or a key taken off) is refused from the next request.
  members: (siteId) => env.MESH_VIEW.getByName("mesh").member(siteId),
});

/**
 * Who is asking, for anonymous intake's limits: the client address Cloudflare puts in
 * CF-Connecting-IP (a client cannot set it there), an IPv6 one by its /64. Absent (local
 * tools), no address limit.
 */
export const callerOf = (c: Context<EdgeApp>): IntakeCaller => ({ address: clientKey(c.req.header("cf-connecting-ip")) });

export const directoryOf = (env: EdgeEnv) => env.DIRECTORY.getByName("providers");
/** A provider's object: registration and intent engine. */
export const providerOf = (env: EdgeEnv, providerId: string) => env.PROVIDERS.getByName(providerId);
/** One of a provider's callback shards. */
export const shardOf = (env: EdgeEnv, providerId: string, shard: number) => env.CALLBACK_SHARDS.getByName(shardName(providerId, shard));

/** Every callback shard of every registered provider (the first 100 providers), for reads across them all. */
export async function everyShard(env: EdgeEnv) {
  const providers = await directoryOf(env).providers(100);
  return providers.flatMap((p) => shardIndexes(p.shards).map((i) => shardOf(env, p.id, i)));
}

const NOT_FOUND = () => new ApiError(404, "callback_not_found", "no callback with that confirmation and verifier");

/** The shard holding a confirmation (its number names provider and shard). Unknown and malformed ones answer like a wrong verifier. */
export async function cloudForConfirmation(env: EdgeEnv, raw: string) {
  const confirmation = normalizeConfirmation(raw);
  if (!confirmation) throw NOT_FOUND();
  const { ordinal, shard } = placeOf(confirmation);
  const entry = await directoryOf(env).providerAt(ordinal);
  // A shard the provider never had would be created by naming it: never reached.
  if (!entry || shard >= entry.shards) throw NOT_FOUND();
  return { confirmation, cloud: shardOf(env, entry.id, shard) };
}

/** Who is asking about a callback: staff by token, else a customer by verifier. */
export function actorOf(principal: Principal | null, verifier: string | undefined): Actor {
  if (principal?.role === "admin" || principal?.role === "ops") return { role: principal.role };
  if (principal?.role === "agent") {
    // Edge agent tokens name the agent as "<siteId>:<agent ref>".
    const [siteId, agentId] = principal.agentId.split(":");
    if (siteId && agentId) return { role: "agent", siteId, agentId };
  }
  if (principal) throw new ApiError(403, "forbidden", `the ${principal.role} role has no access to callbacks`);
  if (!verifier) throw NOT_FOUND();
  return { role: "customer", verifier };
}
