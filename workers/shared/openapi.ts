/** Route plumbing shared by the Workers: one zod schema validates, types and documents a route. */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Env } from "hono";
import { z } from "zod";
import { invalid } from "./errors.ts";

export function newApp<E extends Env>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (!result.success) throw invalid(result.error, result.target === "json" ? "body" : (result.target as "query"));
    },
  });
}

export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown() }),
});

const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: errorSchema } } });

/** The error answers every authenticated route can give. */
export const commonErrors = {
  400: errorResponse("bad input; `details.fields` names each bad field"),
  401: errorResponse("no or bad token"),
  403: errorResponse("outside the caller's boundary"),
} as const;

export const withErrors = (...codes: (404 | 409 | 413)[]) => ({
  ...commonErrors,
  ...Object.fromEntries(codes.map((c) => [c, errorResponse(String(c))])),
});

export const jsonBody = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const jsonAnswer = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** Answers are documented loosely; their TypeScript types come from the objects that make them. */
export const anyJson = z.unknown();
