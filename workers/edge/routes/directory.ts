/**
 * The directory: which providers a customer's words point to (the patent's search
 * integration). Anyone may ask; each address is limited, as anonymous intake is.
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { limiterFor, rateLimited } from "../../../objects/rate-limiter/rate-limiter.ts";
import { systemClock } from "../../../objects/shared/clock.ts";
import { open } from "../../shared/access.ts";
import { unwrap } from "../../shared/errors.ts";
import { jsonAnswer, newApp, withErrors } from "../../shared/openapi.ts";
import { callerOf, directoryOf, type EdgeApp } from "../app-types.ts";

/** Searches one address may make per minute: a person typing, or an assistant asking, never needs more. */
export const SEARCHES_PER_MINUTE = 60;

const query = z.object({
  q: z.string().trim().min(1, "say what the callback is about").max(200, "at most 200 characters").meta({ description: "What the customer needs, in their words, or a provider's name" }),
  limit: z.coerce.number().int().min(1).max(20).default(10).meta({ description: "At most this many providers (1..20, default 10)" }),
});

export const directoryResultsSchema = z
  .strictObject({
    results: z.array(
      z.strictObject({
        providerId: z.string(),
        name: z.string(),
        intents: z.array(z.string()).meta({ description: "The provider's intents the words point to, best first; empty when only its name or description matched" }),
        score: z.number().meta({ description: "Relevance: higher is better, comparable within one answer only" }),
        offerUrl: z.string().meta({ description: "Where to ask this provider for an offer (POST, with `providerId`)" }),
      }),
    ),
  })
  .meta({ id: "DirectoryResults", description: "Listed providers whose names, descriptions or intents match, best first." });
export type DirectoryResults = z.infer<typeof directoryResultsSchema>;

export const directory = newApp<EdgeApp>().openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "searchDirectory",
    tags: ["customers"],
    summary: "Providers whose names, descriptions or intents match the words, ranked",
    ...open("anyone", "the directory lists what providers chose to show."),
    request: { query },
    responses: { 200: jsonAnswer(directoryResultsSchema, "the providers found, best first"), ...withErrors(429) },
  }),
  async (c) => {
    const { q, limit } = c.req.valid("query");
    const key = callerOf(c).address;
    if (key) {
      const limiterKey = `directory:${key}`;
      const admitted = await c.env.RATE_LIMITER.getByName(limiterFor(limiterKey)).admit(limiterKey, [{ name: "directory", limit: SEARCHES_PER_MINUTE, periodMs: 60_000 }], systemClock.now());
      if (!admitted.ok) unwrap(rateLimited(admitted, "searches from this address"));
    }
    const offerUrl = `${c.env.PUBLIC_URL ?? new URL(c.req.url).origin}/v1/interactions`;
    const hits = await directoryOf(c.env).search(q, limit);
    return c.json({ results: hits.map((h) => ({ ...h, offerUrl })) }, 200);
  },
);
