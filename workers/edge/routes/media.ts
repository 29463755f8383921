/** What the simulated media server did: the local mesh's "phone" and its messages, for ops and benchmarks. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { dialRecordSchema, messageRecordSchema } from "../../../objects/media-server/simulated-media-server.ts";
import { allow } from "../../shared/access.ts";
import { jsonAnswer, newApp, withErrors } from "../../shared/openapi.ts";
import type { EdgeApp } from "../app-types.ts";

const logQuery = z.object({
  confirmation: z.string().max(32).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.coerce.number().int().min(0).default(0),
});

export const media = newApp<EdgeApp>().openapi(
  createRoute({
    method: "get",
    path: "/dials",
    operationId: "listDials",
    tags: ["media server"],
    summary: "The simulated media server's dial log (one row per idempotency key)",
    ...allow("admin", "ops"),
    request: { query: logQuery },
    responses: {
      200: jsonAnswer(z.strictObject({ dials: z.array(dialRecordSchema) }).meta({ id: "DialLog" }), "the dials, oldest first"),
      ...withErrors(),
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const dials = await c.env.MEDIA.getByName("simulated").dials(q.confirmation, q.limit, q.after);
    return c.json({ dials }, 200);
  },
).openapi(
  createRoute({
    method: "get",
    path: "/messages",
    operationId: "listMessages",
    tags: ["media server"],
    summary: "The confirmations and reminders the simulated media server sent",
    ...allow("admin", "ops"),
    request: { query: logQuery },
    responses: {
      200: jsonAnswer(z.strictObject({ messages: z.array(messageRecordSchema) }).meta({ id: "MessageLog" }), "the messages, oldest first"),
      ...withErrors(),
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const messages = await c.env.MEDIA.getByName("simulated").messages(q.confirmation, q.limit, q.after);
    return c.json({ messages }, 200);
  },
);
