/**
 * The site subgraph at /graphql: one executable schema and one yoga server per
 * isolate (derived from code, no state), the Worker's env and the caller's viewer
 * passed per request.
 */
import { makeExecutableSchema } from "@graphql-tools/schema";
import type { Context } from "hono";
import { ApiError } from "../../shared/errors.ts";
import { budgetKey } from "../../shared/graphql/budget.ts";
import { meterFor } from "../../shared/graphql/meter.ts";
import { graphServer, serveMetered, type GraphServer, type Metered } from "../../shared/graphql/server.ts";
import type { Viewer } from "../../../federation/wire/viewer.ts";
import type { Principal } from "../../shared/auth.ts";
import type { SiteApp } from "../app-types.ts";
import type { SiteGraphContext } from "./context.ts";
import { resolvers } from "./resolvers.ts";
import { typeDefs } from "./types.generated.ts";

let server: GraphServer<SiteGraphContext & Metered> | null = null;

/** The subgraph's executable schema (also what the edge's tests and tools build the gateway's view of a site from). */
export const siteSchema = () => makeExecutableSchema<SiteGraphContext>({ typeDefs, resolvers });

function yoga() {
  server ??= graphServer<SiteGraphContext & Metered>({ schema: siteSchema() });
  return server;
}

/** GET or POST /graphql; 401 without a token, 403 for roles that may not query it, 429 over the caller's budget (budget.ts). */
export async function serveSiteGraph(c: Context<SiteApp>): Promise<Response> {
  const principal = c.get("principal");
  if (!principal) throw new ApiError(401, "unauthorized", "GraphQL needs a bearer token", null, { "www-authenticate": "Bearer" });
  const viewer = siteViewer(principal);
  if (!viewer) throw new ApiError(403, "forbidden", `the ${principal.role} role may not query the site subgraph`, { allowed: ["admin", "ops", "partner", "cloud"] });
  return serveMetered(yoga(), c.req.raw, { env: c.env, viewer, meter: meterFor(c.env, budgetKey(principal, c.req.header("authorization"))) });
}

/**
 * The viewer of a request to a site's /graphql, or null when the principal may not
 * query it. The cloud (the edge's gateway) speaks for its own caller with the viewer
 * its token names (signed by the edge for this site: federation/wire/edge-tokens.ts);
 * without one it gets the federation's view.
 */
function siteViewer(principal: Principal | null): Viewer | null {
  switch (principal?.role) {
    case "admin":
    case "ops":
      return { kind: "staff" };
    case "partner":
      return { kind: "partner", siteId: principal.partnerId };
    case "cloud":
      return principal.viewer ?? { kind: "mesh" };
    default:
      return null;
  }
}
