/**
 * The OpenAPI document a Worker serves at /openapi.json: its routes (each documented
 * where it is declared), the security schemes they name, its tags (public first,
 * federation apart) and the server it was fetched from.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, Env } from "hono";
import { bearerScheme } from "./access.ts";

export interface TagDoc {
  name: string;
  description: string;
  /** `public`: for customers, providers, staff and partners; `federation`: between the mesh's members only. */
  audience: "public" | "federation";
}

export interface ContractOptions<E extends Env> {
  title: string;
  version: string;
  description: string;
  /** Public tags first; each operation's tags must be among them (a test checks). */
  tags: TagDoc[];
  /** Security schemes besides `bearer`. */
  schemes?: Record<string, object>;
  /** Where this Worker answers: PUBLIC_URL, or the origin the document was fetched from. */
  server: (c: Context<E>) => { url: string; description: string };
}

export const AUDIENCES = {
  public: "Public API",
  federation: "Federation (between the mesh's members)",
} as const;

/** Registers the security schemes and serves the document at /openapi.json. */
export function publishContract<E extends Env>(app: OpenAPIHono<E>, options: ContractOptions<E>): void {
  // Components given in the document's config are overwritten by the generator's: they must be registered.
  for (const [name, scheme] of Object.entries({ bearer: bearerScheme, ...options.schemes })) {
    app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
  }
  const tags = options.tags.map(({ name, description, audience }) => ({ name, description, "x-audience": audience }));
  const groups = (Object.keys(AUDIENCES) as (keyof typeof AUDIENCES)[]).map((audience) => ({
    name: AUDIENCES[audience],
    tags: options.tags.filter((t) => t.audience === audience).map((t) => t.name),
  }));
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: { title: options.title, version: options.version, description: options.description },
    servers: [options.server(c as Context<E>)],
    tags,
    // Tag groups (Redoc, Scalar and our /docs read them): the public API, then the federation apart.
    "x-tagGroups": groups,
  }));
}
