/** Route plumbing shared by the Workers: one zod schema validates, types and documents a route. */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Env } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { authenticate, type AuthConfig, type AuthVariables } from "./auth.ts";
import { ApiError, invalid, notFound, onError } from "./errors.ts";

export function newApp<E extends Env>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (!result.success) throw invalid(result.error, result.target === "json" ? "body" : (result.target as "query"));
    },
  });
}

/**
 * A Worker's top-level app: errors and unknown routes in the error shape, bodies over
 * `maxBodyBytes` refused before they are read, and the bearer token read into `principal`.
 */
export function workerApp<E extends { Bindings: object; Variables: AuthVariables }>(
  authOf: (env: E["Bindings"]) => AuthConfig,
  maxBodyBytes: number,
): OpenAPIHono<E> {
  const app = newApp<E>();
  app.onError(onError);
  app.notFound(notFound);
  app.use(
    "*",
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () => {
        throw new ApiError(413, "payload_too_large", `a request body may be at most ${maxBodyBytes} bytes`);
      },
    }),
  );
  app.use("*", authenticate<E>(authOf));
  return app;
}

export const errorSchema = z
  .strictObject({
    error: z.strictObject({ code: z.string(), message: z.string(), details: z.unknown() }),
  })
  .meta({
    id: "Error",
    description: "Every error: a stable `code`, a `message` for people, and `details` (null, or an object; bad input names each field in `details.fields`).",
  });

const errorResponse = (description: string, headers?: Record<string, { description: string; schema: { type: "integer" } }>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/json": { schema: errorSchema } },
});

/** The error answers every route can give: bad input, a bad token, a role outside the route's, a fault of ours. */
export const commonErrors = {
  400: errorResponse("bad input; `details.fields` names each bad field"),
  401: errorResponse("no token where one is needed, or a token that is not valid here"),
  403: errorResponse("the caller's role may not do this"),
  500: errorResponse("a fault on our side (`internal`): the answer says nothing of it; it is logged with where it happened"),
} as const;

const ERRORS = {
  404: "not found",
  409: "conflicts with the current state (`details` says what is allowed)",
  413: "the body is too large",
  422: "understood, but the provider's rules forbid it (`details` says what would be allowed)",
  429: "too many requests (`rate_limited`): `details` names the limit; come back after `Retry-After` seconds",
  503: "this node is not configured for it",
} as const;

const RETRY_AFTER = { "Retry-After": { description: "seconds to wait before trying again", schema: { type: "integer" as const } } };

export const withErrors = (...codes: (keyof typeof ERRORS)[]) => ({
  ...commonErrors,
  ...Object.fromEntries(codes.map((c) => [c, errorResponse(ERRORS[c], c === 429 ? RETRY_AFTER : undefined)])),
});

export const jsonBody = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const jsonAnswer = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
