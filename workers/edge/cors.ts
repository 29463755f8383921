/**
 * CORS for the customer routes: a provider's own pages (its widget) call the edge from
 * the origins it registered (`allowedOrigins`), and from no other. Only the anonymous
 * customer routes are open to them, and only with the headers those routes read (no
 * Authorization: a staff route cannot be called from a page elsewhere). No credentials:
 * the offer's token and the verifier are the permissions, not cookies.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { directoryOf, type EdgeApp } from "./app-types.ts";

/** Where the customer routes are: offers, the directory, a provider's public registration, callbacks and their events. */
export const CUSTOMER_PATHS = ["/v1/interactions", "/v1/directory", "/v1/providers/*", "/v1/callbacks", "/v1/callbacks/*"] as const;

export const customerCors = (): MiddlewareHandler<EdgeApp> =>
  cors({
    // Asked of the directory only when a browser names an origin: server-to-server callers cost nothing.
    origin: async (origin, c) => ((await directoryOf(c.env).allowsOrigin(origin)) ? origin : null),
    allowMethods: ["GET", "POST", "PATCH", "DELETE"],
    allowHeaders: ["content-type", "idempotency-key", "last-event-id"],
    exposeHeaders: ["retry-after"],
    maxAge: 600,
    credentials: false,
  });
