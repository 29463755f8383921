/**
 * The routes every Worker has besides its API — the service's own page, its health,
 * the contract and its reference page, and GraphQL over HTTP — documented in the same
 * OpenAPI document, so that "every route" holds. Their handlers stay where they are
 * (GraphQL is yoga's, which speaks GET and POST itself); this only describes them.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Env } from "hono";
import { z } from "zod";
import { open, type Security } from "./access.ts";
import type { Role } from "./auth.ts";
import { commonErrors, jsonAnswer, withErrors } from "./openapi.ts";
import { AVAILABILITY_BOUNDS } from "../../federation/runtime/graphql/field-costs.ts";
import { DEFAULT_LIMITS } from "../../federation/runtime/graphql/limits.ts";
import { DEFAULT_COST_PER_MINUTE } from "./graphql/budget.ts";

export const SERVICE_TAG = {
  name: "service",
  audience: "public",
  description: "The service itself: what it is, its health, this contract and its reference page.",
} as const;
export const GRAPHQL_TAG = {
  name: "graphql",
  audience: "public",
  description: "GraphQL over HTTP (GET for queries, POST for any operation), as graphql-yoga serves it: the schema is in schema/*.graphql.",
} as const;

const graphqlResult = z
  .object({
    data: z.record(z.string(), z.unknown()).nullable().optional(),
    errors: z
      .array(z.object({ message: z.string(), path: z.array(z.union([z.string(), z.number()])).optional(), extensions: z.record(z.string(), z.unknown()).optional() }))
      .optional(),
    extensions: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: "GraphQLResult", description: "A GraphQL result: data, errors (each with extensions.code), extensions" });

const graphqlRequest = z
  .object({
    query: z.string().meta({ example: "{ mesh { members { siteId health } } }" }),
    variables: z.record(z.string(), z.unknown()).optional(),
    operationName: z.string().optional(),
  })
  .meta({ id: "GraphQLRequest" });

const graphqlAnswers = {
  200: {
    description: "the result; partial data with an error naming each member that did not answer",
    content: { "application/graphql-response+json": { schema: graphqlResult }, "application/json": { schema: graphqlResult } },
  },
  // 429: the caller's GraphQL budget (workers/shared/graphql/budget.ts), in the error shape with Retry-After.
  ...withErrors(413, 429),
};

export interface GraphqlEndpoint {
  path: string;
  /** operationId stem: `<stem>` for POST, `<stem>Get` for GET. */
  operationId: string;
  summary: string;
  roles: Role[];
}

/** Documents `/`, `/healthz`, `/openapi.json`, `/docs` and each GraphQL endpoint of a Worker. */
export function documentServiceRoutes<E extends Env>(app: OpenAPIHono<E>, service: z.ZodType, graphql: GraphqlEndpoint[]): void {
  const anyone = open("anyone", "the service's own description.");
  const registry = app.openAPIRegistry;
  // No token is needed, but one that is not valid here is still refused (401), as everywhere.
  const get = (path: string, operationId: string, summary: string, responses: Record<number, object>) =>
    registry.registerPath({
      method: "get",
      path,
      operationId,
      summary,
      tags: [SERVICE_TAG.name],
      ...anyone,
      responses: { ...responses, 401: commonErrors[401], 500: commonErrors[500] },
    });
  get("/", "getService", "What this Worker is, and where its contract is", { 200: jsonAnswer(service, "the service") });
  get("/healthz", "getHealth", "Answers while the Worker runs (for load balancers and the local mesh's launcher)", {
    200: jsonAnswer(z.object({ ok: z.literal(true), siteId: z.string().optional() }), "up"),
  });
  get("/openapi.json", "getOpenApi", "This document", { 200: jsonAnswer(z.record(z.string(), z.unknown()), "OpenAPI 3.1") });
  get("/docs", "getDocs", "The reference page of this document (Swagger UI, served by this Worker: nothing from a CDN)", {
    200: { description: "an HTML page", content: { "text/html": { schema: z.string() } } },
  });
  for (const g of graphql) {
    const who = {
      security: [{ bearer: [...g.roles] }] as Security,
      "x-roles": g.roles,
      description: `Who may call it: ${g.roles.join(", ")}; others get 401 or 403 in the error shape before any GraphQL. Depth, alias and cost limits, and arguments past their bounds (an availability window over ${AVAILABILITY_BOUNDS.maxDays} days, slots under ${AVAILABILITY_BOUNDS.minSlotMinutes} minutes), answer 400 with a code. Each caller spends from a budget of estimated cost per sliding minute (${String(DEFAULT_COST_PER_MINUTE).replace(/\B(?=(\d{3})+$)/g, ",")} by default: ${DEFAULT_COST_PER_MINUTE / DEFAULT_LIMITS.maxCost} of the costliest operations allowed); an operation that does not fit is not run and answers 429 \`rate_limited\` with Retry-After.`,
    };
    registry.registerPath({
      method: "post",
      path: g.path,
      operationId: g.operationId,
      summary: g.summary,
      tags: [GRAPHQL_TAG.name],
      ...who,
      request: { body: { required: true, content: { "application/json": { schema: graphqlRequest } } } },
      responses: graphqlAnswers,
    });
    registry.registerPath({
      method: "get",
      path: g.path,
      operationId: `${g.operationId}Get`,
      summary: `${g.summary} (queries only)`,
      tags: [GRAPHQL_TAG.name],
      ...who,
      request: { query: z.object({ query: z.string(), variables: z.string().optional().meta({ description: "JSON" }), operationName: z.string().optional() }) },
      responses: graphqlAnswers,
    });
  }
}
