/**
 * A provider's event webhooks: admin subscribes receivers to callback lifecycle events;
 * ops read the deliveries (pending, delivered, given up) and send one again. The deliveries
 * themselves go out from the provider's webhook object (objects/webhooks/webhook-outbox.ts).
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { shardIndexes } from "../../../objects/callback-cloud/shards.ts";
import { subscriptionInput, WEBHOOK_EVENTS } from "../../../objects/webhooks/webhook-outbox.ts";
import { allow } from "../../shared/access.ts";
import { ApiError, unwrap } from "../../shared/errors.ts";
import { jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { directoryOf, shardOf, type EdgeApp } from "../app-types.ts";
import type { EdgeEnv } from "../env.ts";

const tags = ["webhooks"];
const providerParams = z.object({ providerId: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "not a provider id") });

const subscriptionSchema = z
  .strictObject({ id: z.string(), url: z.string(), events: z.array(z.enum(WEBHOOK_EVENTS)), createdAt: z.iso.datetime() })
  .meta({ id: "WebhookSubscription", description: "Where a provider's callback events are delivered, and which" });
const deliverySchema = z
  .strictObject({
    messageId: z.string().meta({ description: "The webhook-id header: the same on every attempt of this message" }),
    subscriptionId: z.string(),
    event: z.string(),
    confirmation: z.string(),
    status: z.enum(["pending", "delivered", "failed"]),
    attempts: z.number().int(),
    nextAttemptAt: z.iso.datetime().nullable(),
    lastStatus: z.number().int().nullable().meta({ description: "The receiver's last HTTP status, null when it did not answer" }),
    lastError: z.string().nullable(),
    deliveredAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "WebhookDelivery", description: "One message's delivery to one subscription" });

async function knownProvider(env: EdgeEnv, providerId: string) {
  const entry = await directoryOf(env).locate(providerId);
  if (!entry) throw new ApiError(404, "provider_not_found", `no provider ${providerId}`);
  return entry;
}

/** Every shard of the provider hears whether it has subscriptions: without any, its events are not handed over at all. */
async function tellShards(env: EdgeEnv, providerId: string, shards: number): Promise<void> {
  const subscribed = (await env.WEBHOOKS.getByName(providerId).subscriptions()).length > 0;
  await Promise.all(shardIndexes(shards).map((i) => shardOf(env, providerId, i).webhooksChanged(subscribed)));
}

export const webhooks = newApp<EdgeApp>()
  .openapi(
    createRoute({
      method: "post",
      path: "/{providerId}/subscriptions",
      operationId: "subscribeWebhook",
      tags,
      summary: "Subscribe a receiver to the provider's callback events (its secret is answered once)",
      ...allow("admin"),
      request: { params: providerParams, body: jsonBody(subscriptionInput) },
      responses: {
        201: jsonAnswer(subscriptionSchema.extend({ secret: z.string().meta({ description: "Signs every delivery (Standard Webhooks); shown only here" }) }), "the subscription"),
        ...withErrors(404, 409, 413),
      },
    }),
    async (c) => {
      const { providerId } = c.req.valid("param");
      const entry = await knownProvider(c.env, providerId);
      const made = unwrap(await c.env.WEBHOOKS.getByName(providerId).subscribe(c.req.valid("json")));
      await tellShards(c.env, providerId, entry.shards);
      return c.json(made, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{providerId}/subscriptions",
      operationId: "listWebhookSubscriptions",
      tags,
      summary: "The provider's webhook subscriptions (without their secrets)",
      ...allow("admin", "ops"),
      request: { params: providerParams },
      responses: { 200: jsonAnswer(z.strictObject({ subscriptions: z.array(subscriptionSchema) }), "the subscriptions"), ...withErrors(404) },
    }),
    async (c) => {
      const { providerId } = c.req.valid("param");
      await knownProvider(c.env, providerId);
      return c.json({ subscriptions: await c.env.WEBHOOKS.getByName(providerId).subscriptions() }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{providerId}/subscriptions/{subscriptionId}",
      operationId: "unsubscribeWebhook",
      tags,
      summary: "End a subscription: nothing more goes to it, pending deliveries included",
      ...allow("admin"),
      request: { params: providerParams.extend({ subscriptionId: z.string().min(1).max(64) }) },
      responses: { 200: jsonAnswer(z.strictObject({ id: z.string() }), "ended"), ...withErrors(404) },
    }),
    async (c) => {
      const { providerId, subscriptionId } = c.req.valid("param");
      const entry = await knownProvider(c.env, providerId);
      const gone = unwrap(await c.env.WEBHOOKS.getByName(providerId).unsubscribe(subscriptionId));
      await tellShards(c.env, providerId, entry.shards);
      return c.json(gone, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{providerId}/deliveries",
      operationId: "listWebhookDeliveries",
      tags,
      summary: "The provider's webhook deliveries, newest first: pending, delivered or given up",
      ...allow("admin", "ops"),
      request: {
        params: providerParams,
        query: z.object({
          status: z.enum(["pending", "delivered", "failed"]).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
      },
      responses: { 200: jsonAnswer(z.strictObject({ deliveries: z.array(deliverySchema) }), "the deliveries"), ...withErrors(404) },
    }),
    async (c) => {
      const { providerId } = c.req.valid("param");
      const { status, limit } = c.req.valid("query");
      await knownProvider(c.env, providerId);
      return c.json({ deliveries: await c.env.WEBHOOKS.getByName(providerId).deliveries(status ?? null, limit) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{providerId}/deliveries/{messageId}/redeliver",
      operationId: "redeliverWebhook",
      tags,
      summary: "Send a delivery again, as new (after its receiver was fixed)",
      ...allow("admin", "ops"),
      request: { params: providerParams.extend({ messageId: z.string().min(1).max(128) }), body: jsonBody(z.strictObject({ subscriptionId: z.string().min(1).max(64) })) },
      responses: { 200: jsonAnswer(z.strictObject({ messageId: z.string(), subscriptionId: z.string() }), "pending again"), ...withErrors(404, 413) },
    }),
    async (c) => {
      const { providerId, messageId } = c.req.valid("param");
      await knownProvider(c.env, providerId);
      return c.json(unwrap(await c.env.WEBHOOKS.getByName(providerId).redeliver(messageId, c.req.valid("json").subscriptionId)), 200);
    },
  );
