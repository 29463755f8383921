/**
 * The one error helper of every Worker: everything that goes wrong leaves in the
 * API.md shape `{ error: { code, message, details } }`.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import type { Problem, Result } from "../../objects/shared/problem.ts";

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  static of(problem: Problem): ApiError {
    // A refusal that says when to come back (429, 503) says it in Retry-After too, as the contract asks.
    const wait = (problem.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    const headers: Record<string, string> = typeof wait === "number" ? { "retry-after": String(Math.ceil(wait)) } : {};
    return new ApiError(problem.status, problem.code, problem.message, problem.details ?? null, headers);
  }
}

export const errorBody = (code: string, message: string, details: unknown = null) => ({
  error: { code, message, details },
});

/** The value of a Result from a Durable Object, or its problem thrown as an ApiError. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw ApiError.of(result.problem);
}

/** A zod failure as a 400 naming each bad field. */
export function invalid(error: z.ZodError, where: "body" | "query" | "param" | "header" = "body"): ApiError {
  return new ApiError(400, "invalid_request", `the request ${where} is not valid`, {
    fields: error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join("."), message: i.message })),
  });
}

/** Codes for what Hono itself refuses (unparseable JSON, oversized bodies). */
const HTTP_CODES: Partial<Record<number, string>> = {
  400: "invalid_request",
  401: "unauthorized",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.code, err.message, err.details), err.status, err.headers);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return c.json(errorBody(HTTP_CODES[status] ?? "http_error", err.message || "request refused"), status);
  }
  console.error("unhandled error", err.name, err.message);
  return c.json(errorBody("internal", "something went wrong on our side"), 500);
}

export const notFound = (c: Context): Response =>
  c.json(errorBody("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404);
