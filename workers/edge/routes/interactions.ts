/** Offers (interactive indicia): what a client shows before the customer asks for a callback. */
import { createRoute } from "@hono/zod-openapi";
import { interactionRequest } from "../../../objects/callback-cloud/requests.ts";
import { systemClock } from "../../../objects/shared/clock.ts";
import { ApiError, unwrap } from "../../shared/errors.ts";
import { anyJson, jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { cloudOf, directoryOf, type EdgeApp } from "../app-types.ts";
import { signIndicia } from "../indicia.ts";

export const interactions = newApp<EdgeApp>().openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["customers"],
    summary: "A signed callback offer: slots, channels, estimated wait and where to ask",
    request: { body: jsonBody(interactionRequest) },
    responses: { 200: jsonAnswer(anyJson, "the indicia"), ...withErrors(404) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    if (!(await directoryOf(c.env).has(body.providerId))) {
      throw new ApiError(404, "provider_not_found", `no provider ${body.providerId}`);
    }
    const offer = unwrap(await cloudOf(c.env, body.providerId).offer(body.context?.reason));
    const { token, expiresAt } = await signIndicia(
      c.env.EDGE_JWT_SECRET,
      { providerId: body.providerId, userId: body.user.id },
      systemClock.now(),
      { slots: offer.slots.length, channels: offer.channels },
    );
    return c.json(
      {
        token,
        expiresAt,
        estimatedWaitSeconds: offer.estimatedWaitSeconds,
        slots: offer.slots,
        channels: offer.channels,
        callbackUrl: `${c.env.PUBLIC_URL ?? new URL(c.req.url).origin}/v1/callbacks`,
      },
      200,
    );
  },
);
