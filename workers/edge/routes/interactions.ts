/** Offers (interactive indicia): what a client shows before the customer asks for a callback. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { interactionRequest } from "../../../objects/callback-cloud/requests.ts";
import { channel } from "../../../objects/roster/model.ts";
import { slotViewSchema } from "../../../objects/roster/views.ts";
import { systemClock } from "../../../objects/shared/clock.ts";
import { open } from "../../shared/access.ts";
import { ApiError, unwrap } from "../../shared/errors.ts";
import { jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { shardForKey } from "../../../objects/callback-cloud/shards.ts";
import { callerOf, directoryOf, shardOf, type EdgeApp } from "../app-types.ts";
import { signIndicia } from "../indicia.ts";

export const offerSchema = z
  .strictObject({
    token: z.string().meta({ description: "The signed offer (indicia): send it as `indicia` to ask for a callback" }),
    expiresAt: z.iso.datetime(),
    estimatedWaitSeconds: z.number().int().min(0).nullable().meta({ description: "Until the first slot; null when none is free in the next day" }),
    slots: z.array(slotViewSchema),
    channels: z.array(channel),
    callbackUrl: z.string().meta({ description: "Where to ask for the callback (POST)" }),
    openNow: z.boolean().meta({ description: "Whether the provider's hours allow a call now" }),
    opensAt: z.iso.datetime({ offset: true }).optional().meta({ description: "Closed now: when it opens next" }),
    notice: z.string().optional().meta({ description: "Why the wait is what it is, in words (closed until …, or nobody free)" }),
  })
  .meta({ id: "Offer", description: "A signed callback offer: free slots, channels, the estimated wait, and where to ask." });

export const interactions = newApp<EdgeApp>().openapi(
  createRoute({
    method: "post",
    path: "/",
    operationId: "createOffer",
    tags: ["customers"],
    summary: "A signed callback offer: slots, channels, estimated wait and where to ask",
    ...open("customer", "an offer is what a page shows before anyone asks."),
    request: { body: jsonBody(interactionRequest) },
    responses: { 200: jsonAnswer(offerSchema, "the offer, its token signed for this customer"), ...withErrors(404, 413, 429) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const provider = await directoryOf(c.env).locate(body.providerId);
    if (!provider) throw new ApiError(404, "provider_not_found", `no provider ${body.providerId}`);
    // The customer's own shard: the one its request will reach (the indicia carries the count).
    const shard = shardForKey(body.user.id, provider.shards);
    const offer = unwrap(await shardOf(c.env, body.providerId, shard).offer(callerOf(c), body.context?.reason));
    const { token, expiresAt } = await signIndicia(
      c.env.EDGE_JWT_SECRET,
      { providerId: body.providerId, userId: body.user.id, shards: provider.shards },
      systemClock.now(),
      { slots: offer.slots.length, channels: offer.channels },
    );
    const { openNow, opensAt, notice } = offer;
    return c.json(
      {
        token,
        expiresAt,
        estimatedWaitSeconds: offer.estimatedWaitSeconds,
        slots: offer.slots,
        channels: offer.channels,
        callbackUrl: `${c.env.PUBLIC_URL ?? new URL(c.req.url).origin}/v1/callbacks`,
        openNow,
        ...(opensAt !== undefined ? { opensAt } : {}),
        ...(notice !== undefined ? { notice } : {}),
      },
      200,
    );
  },
);
