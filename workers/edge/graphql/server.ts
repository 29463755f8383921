/**
 * The edge's GraphQL endpoints:
 * - /graphql: the federated schema (every member's site subgraph stitched with the
 *   cloud's), rebuilt only when the membership changes;
 * - /graphql/cloud: the cloud subgraph alone.
 * One yoga server each per isolate; the Worker's env, the caller's viewer and this
 * request's state (errors beside data, the sites' deadline) passed per request.
 * Anonymous callers get 401 and other roles 403, in the REST error shape, before
 * any GraphQL: the transport refuses them, as it does for every route.
 */
import { makeExecutableSchema } from "@graphql-tools/schema";
import type { Plugin } from "graphql-yoga";
import type { Context } from "hono";
import { newSiteCalls } from "../../../federation/runtime/gateway/context.ts";
import { viewerFor } from "../../../federation/runtime/gateway/executors.ts";
import { currentMembership } from "../../../federation/runtime/gateway/members.ts";
import { usePlannedDocuments } from "../../../federation/runtime/gateway/planned.ts";
import { cloudTokenFor } from "../../../federation/wire/edge-tokens.ts";
import { GatewayCache } from "../../../federation/runtime/gateway/stitch.ts";
import { systemClock } from "../../../objects/shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import type { Principal } from "../../shared/auth.ts";
import { budgetKey } from "../../shared/graphql/budget.ts";
import { meterFor, type Meter } from "../../shared/graphql/meter.ts";
import { graphServer, serveMetered, type GraphServer, type Metered } from "../../shared/graphql/server.ts";
import type { Viewer } from "../../../federation/wire/viewer.ts";
import { meshViewOf } from "../../shared/mesh-routes.ts";
import { typeDefs as siteTypeDefs } from "../../site/graphql/types.generated.ts";
import type { EdgeApp } from "../app-types.ts";
import type { EdgeEnv } from "../env.ts";
import { memoized, type CloudGraphContext, type FederatedContext } from "./context.ts";
import { resolvers } from "./resolvers.ts";
import { typeDefs as cloudTypeDefs } from "./types.generated.ts";

/** How long a member may take to answer its part of a query. */
export const DEFAULT_SITE_TIMEOUT_MS = 2_000;
/** How often the membership is read again (an RPC to the mesh view object); 0 reads it on every query. */
export const DEFAULT_MEMBERSHIP_TTL_MS = 1_000;

let cloudSchema: ReturnType<typeof makeExecutableSchema<CloudGraphContext>> | null = null;
const cloudSchemaOnce = () => (cloudSchema ??= makeExecutableSchema<CloudGraphContext>({ typeDefs: cloudTypeDefs, resolvers }));

let gatewayEnv: EdgeEnv | null = null;
const gateways = new GatewayCache(() => ({
  cloudSchema: cloudSchemaOnce(),
  siteTypeDefs,
  env: gatewayEnv as EdgeEnv,
  // The gateway hands back the context this edge made for the request (requestContext below).
  healthOf: (gatewayCtx) => {
    const ctx = gatewayCtx as FederatedContext;
    return memoized(ctx, "health", async () => new Map((await meshViewOf(ctx.env).members()).members.map((m) => [m.siteId, m.health] as [string, string])));
  },
}));

let federated: GraphServer<FederatedContext & Metered> | null = null;
let cloudOnly: GraphServer<CloudGraphContext & Metered> | null = null;

/** `extensions.members`: how many requests each member was sent and how long they took, for ops reading a slow answer. */
const useMemberStats = (): Plugin => ({
  onExecute: ({ args }) => ({
    onExecuteDone: ({ result, setResult }) => {
      const stats = (args.contextValue as Partial<FederatedContext>).siteCalls?.stats;
      if (!stats?.size || Symbol.asyncIterator in result) return;
      setResult({ ...result, extensions: { ...result.extensions, members: Object.fromEntries([...stats].sort(([a], [b]) => a.localeCompare(b))) } });
    },
  }),
});

const federatedServer = () =>
  (federated ??= graphServer<FederatedContext & Metered>({
    // The schema of the caller's membership, built once per membership version.
    schema: (ctx) => gateways.schemaFor(ctx.membership),
    // Planned documents last: the other plugins' hooks apply to them too.
    plugins: [useMemberStats(), usePlannedDocuments((ctx) => gateways.gatewayFor((ctx as FederatedContext).membership))],
  }));

const cloudServer = () => (cloudOnly ??= graphServer<CloudGraphContext & Metered>({ schema: cloudSchemaOnce(), graphqlEndpoint: "/graphql/cloud" }));

const positive = (raw: string | undefined, fallback: number) => {
  const n = Number(raw);
  return raw !== undefined && Number.isFinite(n) && n >= 0 ? n : fallback;
};

function askedBy(c: Context<EdgeApp>): { viewer: Viewer; principal: Principal } {
  const principal = c.get("principal");
  if (!principal) throw new ApiError(401, "unauthorized", "GraphQL needs a bearer token", null, { "www-authenticate": "Bearer" });
  if (principal.role === "admin" || principal.role === "ops") return { viewer: { kind: "staff" }, principal };
  if (principal.role === "partner") return { viewer: { kind: "partner", siteId: principal.partnerId }, principal };
  throw new ApiError(403, "forbidden", `the ${principal.role} role may not query the federated schema`, { allowed: ["admin", "ops", "partner"] });
}

async function requestContext(c: Context<EdgeApp>): Promise<FederatedContext & { meter: Meter }> {
  const { viewer, principal } = askedBy(c);
  // Both endpoints spend from one budget per caller: two endpoints are not twice the allowance.
  const meter = meterFor(c.env, budgetKey(principal, c.req.header("authorization")));
  const now = systemClock.now();
  gatewayEnv ??= c.env;
  const membership = await currentMembership(meshViewOf(c.env), c.env, now, positive(c.env.GRAPHQL_MEMBERSHIP_TTL_MS, DEFAULT_MEMBERSHIP_TTL_MS));
  const key = c.env.EDGE_MEMBERSHIP_KEY;
  // Kept per isolate and reused for minutes: a query costs no signature in the usual case.
  const siteTokens = key
    ? new Map(
        await Promise.all(
          membership.members.map(async (m) => [m.siteId, await cloudTokenFor(key, m.siteId, viewerFor(m, viewer), now)] as const),
        ),
      )
    : undefined;
  return {
    env: c.env,
    viewer,
    meter,
    siteTokens,
    membership,
    memo: new Map(),
    sideErrors: [],
    // The deadline of a real timer (executors.ts), so on the runtime's own time: the business clock a test moves does not tick.
    siteCalls: newSiteCalls(Date.now(), positive(c.env.GRAPHQL_SITE_TIMEOUT_MS, DEFAULT_SITE_TIMEOUT_MS), membership.down),
  };
}

/** GET or POST /graphql: the federated schema. */
export async function serveFederatedGraph(c: Context<EdgeApp>): Promise<Response> {
  return serveMetered(federatedServer(), c.req.raw, await requestContext(c));
}

/** GET or POST /graphql/cloud: the cloud subgraph alone. */
export async function serveCloudGraph(c: Context<EdgeApp>): Promise<Response> {
  return serveMetered(cloudServer(), c.req.raw, await requestContext(c));
}
