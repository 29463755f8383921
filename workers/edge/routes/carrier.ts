/**
 * A carrier's status callbacks (Twilio's shape): form-encoded, signed in X-Twilio-Signature
 * over the URL the carrier was given and the form. The provider's carrier adapter checks
 * the signature and refuses a callback heard before (objects/media-server/carrier-gateway.ts);
 * an outcome goes to the callback's shard. The query and the form are read only once the
 * signature holds: an unsigned caller learns nothing.
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { CARRIER_SIGNATURE_HEADER } from "../../../objects/media-server/carrier-signature.ts";
import type { Security } from "../../shared/access.ts";
import { ApiError, invalid, unwrap } from "../../shared/errors.ts";
import { newApp, withErrors } from "../../shared/openapi.ts";
import { cloudForConfirmation, directoryOf, type EdgeApp } from "../app-types.ts";

const params = z.object({ providerId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "a provider id") });
const query = z.object({
  key: z.string().min(1).max(128).meta({ description: "The send's idempotency key, as the adapter put it in the URL" }),
  leg: z.enum(["customer", "agent"]).meta({ description: "Which party's call the callback is about" }),
});

/** The form a carrier posts: documented, and read only once its signature holds. */
const statusCallbackForm = z
  .looseObject({
    AccountSid: z.string(),
    CallSid: z.string().optional(),
    CallStatus: z.string().optional(),
    ParentCallSid: z.string().optional(),
    AnsweredBy: z.string().optional(),
    MessageSid: z.string().optional(),
    MessageStatus: z.string().optional(),
  })
  .meta({ description: "The carrier's status callback fields (Twilio's names); others are signed and ignored" });

export const carrier = newApp<EdgeApp>();
carrier.openAPIRegistry.register("CarrierStatusCallback", statusCallbackForm);
carrier.openapi(
  createRoute({
    method: "post",
    path: "/{providerId}/status",
    operationId: "carrierStatusCallback",
    tags: ["media server"],
    summary: "A carrier's status callback for a call or text the carrier adapter sent (X-Twilio-Signature)",
    security: [{ carrierSignature: [] }] as Security,
    "x-roles": ["carrier"],
    description:
      "Who may call it: carrier (the provider's carrier account). The carrier signs the URL it was given and the form's fields " +
      "with the account's auth token, as Twilio documents `X-Twilio-Signature`; unsigned or wrongly signed: 401. A status " +
      "heard before (the same call, status and leg) is refused as a replay (409). Answers 204.",
    // The form is documented, not validated before the handler: the signature covers the raw fields, read there.
    request: {
      params,
      body: {
        required: true,
        content: { "application/x-www-form-urlencoded": { schema: { $ref: "#/components/schemas/CarrierStatusCallback" } } },
      },
    },
    responses: { 204: { description: "taken" }, ...withErrors(404, 409, 413) },
  }),
  async (c) => {
    const { providerId } = c.req.valid("param");
    const url = new URL(c.req.url);
    // The URL the carrier signed is the one the adapter gave it: the edge's public URL, this path and query.
    const signedUrl = `${(c.env.PUBLIC_URL ?? url.origin).replace(/\/+$/, "")}${url.pathname}${url.search}`;
    const unsigned = () => new ApiError(401, "bad_signature", "the status callback is not signed by this provider's carrier account");
    // An unknown provider has no carrier account to sign anything: no object is made for a stranger's guess.
    if (!(await directoryOf(c.env).locate(providerId))) throw unsigned();
    const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
    const gateway = c.env.CARRIER.getByName(providerId);
    const asked = query.safeParse(Object.fromEntries(url.searchParams));
    const verdict = await gateway.status(
      { url: signedUrl, params: form, signature: c.req.header(CARRIER_SIGNATURE_HEADER) ?? null },
      asked.success ? asked.data.key : "",
      asked.success ? asked.data.leg : "customer",
    );
    if (verdict.kind === "refused" && verdict.status === 401) throw new ApiError(401, verdict.code, verdict.message);
    if (!asked.success) throw invalid(asked.error);
    if (verdict.kind === "refused") throw new ApiError(verdict.status, verdict.code, verdict.message);
    if (verdict.kind === "outcome") {
      try {
        const { cloud, confirmation } = await cloudForConfirmation(c.env, verdict.confirmation);
        unwrap(await cloud.carrierOutcome(confirmation, verdict.attempt, verdict.outcome));
      } catch (err) {
        // Not applied: the carrier's retry of this callback must be taken.
        await gateway.unhear(verdict.heard);
        throw err;
      }
    }
    return c.body(null, 204);
  },
);
