/** A site's OpenAPI document: its tags; its routes all take bearer tokens. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { publishContract, type TagDoc } from "../shared/contract.ts";
import { documentServiceRoutes, GRAPHQL_TAG, SERVICE_TAG } from "../shared/service-docs.ts";
import type { SiteApp } from "./app-types.ts";

const TAGS: TagDoc[] = [
  { name: "agents", audience: "public", description: "The site's roster: resources, their status reports and heartbeats (admin, ops, partners, and each agent for itself)." },
  { name: "availability", audience: "public", description: "Free capacity per slot at this site; internal resources never count." },
  { name: "tokens", audience: "public", description: "Tokens this site signs for its agents, ops staff and partners (admin only)." },
  GRAPHQL_TAG,
  SERVICE_TAG,
  {
    name: "federation",
    audience: "federation",
    description: "Between the mesh's members: the site's digest for its own peer, reservations from the callback cloud, digests and the membership list from its peer, and the mesh's health.",
  },
];

/** GET / at a site. */
export const siteServiceSchema = z
  .object({ service: z.string(), siteId: z.string(), openapi: z.string(), docs: z.string() })
  .meta({ id: "SiteService" });

export function publishSiteContract(app: OpenAPIHono<SiteApp>): void {
  documentServiceRoutes(app, siteServiceSchema, [
    { path: "/graphql", operationId: "querySiteGraph", summary: "This site's subgraph", roles: ["admin", "ops", "partner", "cloud"] },
  ]);
  publishContract(app, {
    // The same document at every site: which site answers is in `servers`.
    title: "callback mesh site",
    version: "1",
    description:
      "A contact center's resource manager: its roster of agents, their states and availability, and the reservations the callback cloud makes. " +
      "Every error is `{ error: { code, message, details } }`. Each operation says who may call it (`x-roles`, and its security requirement).",
    tags: TAGS,
    server: (c) => ({ url: new URL(c.req.url).origin, description: `site ${c.env.SITE_ID}` }),
  });
}
