/**
 * Callbacks: customers request them (with their indicia) and follow them (with
 * confirmation and verifier); agents and ops act on them; the provider's media
 * server reports call progress, signed.
 */
import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { callbackRequest, completeBody, progressBody, rescheduleBody, textBody, transferBody } from "../../../objects/callback-cloud/requests.ts";
import { SIGNATURE_HEADER } from "../../../objects/callback-cloud/signing.ts";
import { callbackReceiptSchema, callbackViewSchema } from "../../../objects/callback-cloud/views.ts";
import { systemClock } from "../../../objects/shared/clock.ts";
import { allow, open, type Security } from "../../shared/access.ts";
import type { Principal } from "../../shared/auth.ts";
import { ApiError, invalid, unwrap } from "../../shared/errors.ts";
import { jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { shardForKey } from "../../../objects/callback-cloud/shards.ts";
import { actorOf, callerOf, cloudForConfirmation, shardOf, type EdgeApp } from "../app-types.ts";
import { verifyIndicia } from "../indicia.ts";

const tags = ["callbacks"];
const customers = ["customers"];
const params = z.object({ confirmation: z.string().min(1).max(32) });
const verifierQuery = z.object({ verifier: z.string().max(64).optional() });
const lastEventIdHeader = z.object({
  "last-event-id": z.string().max(32).optional().meta({ description: "The id of the last event a reconnecting listener had: only later ones are sent" }),
});
const idempotencyHeader = z.object({
  "idempotency-key": z
    .string({ error: "an Idempotency-Key header is required" })
    .min(8, "an Idempotency-Key has at least 8 characters")
    .max(128),
});

const principalOf = (c: { get(key: "principal"): Principal | null }) => c.get("principal");

/** The routes a customer reaches with a confirmation and its verifier, and staff with a token. */
const customerOrStaff = {
  security: [{ verifier: [] }, { bearer: ["admin", "ops", "agent"] }] as Security,
  "x-roles": ["customer", "admin", "ops", "agent"],
  description:
    "Who may call it: customer, admin, ops, agent. A customer passes the callback's `verifier` (no token); " +
    "staff a token (an agent: only the callbacks assigned to it). A wrong verifier answers exactly like an unknown confirmation.",
};

/**
 * Before a body is read, the caller of a customer's change (a move): without a token it must
 * bring a verifier (else 404, as for an unknown callback), and of tokens only staff's are let
 * through (403). Whether the verifier is the callback's, the shard says.
 */
const customerOrStaffFirst: MiddlewareHandler<EdgeApp> = async (c, next) => {
  const principal = principalOf(c);
  if (!principal && !c.req.query("verifier")) throw new ApiError(404, "callback_not_found", "no callback with that confirmation and verifier");
  if (principal && principal.role !== "admin" && principal.role !== "ops") {
    throw new ApiError(403, "forbidden", principal.role === "agent" ? "agents transfer callbacks; customers and staff move them" : `the ${principal.role} role may not move callbacks`);
  }
  await next();
};

/** The answer to a callback request: what the customer keeps, and links to follow it with as given. */
export const requestedCallbackSchema = callbackReceiptSchema
  .extend({
    statusUrl: z.string().meta({ description: "The callback's status and history, verifier included" }),
    eventsUrl: z.string().meta({ description: "The same history live as server-sent events, verifier included" }),
  })
  .meta({ id: "CallbackReceipt", description: "A durable callback request: its confirmation, its verifier, and where to follow it." });

/** An agent or ops action on a callback: one route shape, one body schema, one object method. */
function staffAction<S extends z.ZodType>(
  action: "annotations" | "answer" | "transfer" | "complete",
  operationId: string,
  body: S,
  summary: string,
) {
  return createRoute({
    method: "post",
    path: `/{confirmation}/${action}`,
    operationId,
    tags,
    summary,
    ...allow("admin", "ops", "agent"),
    request: { params, body: jsonBody(body) },
    responses: { 200: jsonAnswer(callbackViewSchema, "the callback, as staff see it"), ...withErrors(404, 409, 413, 422) },
  });
}

const app = newApp<EdgeApp>();
app.openAPIRegistry.register("ProgressReport", progressBody);

export const callbacks = app
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      operationId: "requestCallback",
      tags: customers,
      summary: "Request a callback; answers once it is durable, with a confirmation and a verifier",
      ...open("customer", "the offer's signed `token` (as `indicia`) is the customer's permission."),
      request: { headers: idempotencyHeader, body: jsonBody(callbackRequest) },
      responses: {
        201: jsonAnswer(
          requestedCallbackSchema,
          "accepted and durable (the same answer again for a repeated Idempotency-Key). A new callback is `pending`, with `scheduledFor` the mesh view's estimate; its agent is reserved at once after, as its status and events report",
        ),
        ...withErrors(409, 413, 422, 429),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const key = c.req.valid("header")["idempotency-key"];
      // The provider named in an indicia this edge signed exists, and the indicia says how many shards it
      // had: no directory look-up on the hot path. The customer's shard is the offer's, so a retry meets its key.
      const { providerId, userId, shards, offerId } = await verifyIndicia(c.env.EDGE_JWT_SECRET, body.indicia, systemClock.now());
      const shard = shardOf(c.env, providerId, shardForKey(userId, shards));
      const receipt = unwrap(await shard.request(body, userId, key, callerOf(c), { id: offerId }));
      // Absolute, so a customer can follow the links as given even where the edge has no PUBLIC_URL.
      const statusUrl = `${(c.env.PUBLIC_URL ?? new URL(c.req.url).origin).replace(/\/+$/, "")}/v1/callbacks/${receipt.confirmation}`;
      const query = `?verifier=${encodeURIComponent(receipt.verifier)}`;
      return c.json(
        { ...receipt, statusUrl: `${statusUrl}${query}`, eventsUrl: `${statusUrl}/events${query}` },
        201,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{confirmation}",
      operationId: "getCallbackStatus",
      tags: customers,
      summary: "Status and history; customers need the verifier, staff see the agent and contact too",
      ...customerOrStaff,
      request: { params, query: verifierQuery },
      responses: { 200: jsonAnswer(callbackViewSchema, "the callback"), ...withErrors(404) },
    }),
    async (c) => {
      const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
      const actor = actorOf(principalOf(c), c.req.valid("query").verifier);
      return c.json(unwrap(await cloud.status(confirmation, actor)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{confirmation}/events",
      operationId: "streamCallbackEvents",
      tags: customers,
      summary: "The same history as server-sent events, live",
      ...customerOrStaff,
      request: { params, query: verifierQuery, headers: lastEventIdHeader },
      responses: {
        200: {
          description:
            "Server-sent events: the history so far, then each new step as it happens; the stream ends once the callback is final. " +
            "Each event has an `id`, is named for its `type`, and its `data` is one CallbackEvent as JSON; a comment every 15 s keeps a quiet stream open. " +
            "Sent `Last-Event-ID`, only the events after it come.",
          content: { "text/event-stream": { schema: z.string().meta({ description: "id: <n>\nevent: <type>\ndata: <CallbackEvent as JSON>\n\n, repeated" }) } },
        },
        204: { description: "Reconnecting (Last-Event-ID) to a callback that is over, with nothing missed: nothing more will come" },
        ...withErrors(404),
      },
    }),
    async (c) => {
      const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
      const actor = actorOf(principalOf(c), c.req.valid("query").verifier);
      const url = new URL("https://cloud/events");
      url.searchParams.set("confirmation", confirmation);
      url.searchParams.set("actor", JSON.stringify(actor));
      // A reconnecting EventSource says the last id it had; only what came after is sent.
      const last = c.req.valid("header")["last-event-id"];
      if (last && /^\d{1,15}$/.test(last)) url.searchParams.set("lastEventId", last);
      const res = await cloud.fetch(url.toString());
      if (res.status === 404) throw new ApiError(404, "callback_not_found", "no callback with that confirmation and verifier");
      return res;
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{confirmation}",
      operationId: "cancelCallback",
      tags: customers,
      summary: "Cancel: by the customer (verifier), ops or admin",
      security: [{ verifier: [] }, { bearer: ["admin", "ops"] }] as Security,
      "x-roles": ["customer", "admin", "ops"],
      description: "Who may call it: customer, admin, ops. A customer passes the callback's `verifier` (no token); agents answer or complete callbacks, they do not cancel them (403).",
      request: { params, query: verifierQuery },
      responses: { 200: jsonAnswer(callbackViewSchema, "the cancelled callback (cancelling again answers the same)"), ...withErrors(404, 409) },
    }),
    async (c) => {
      const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
      const actor = actorOf(principalOf(c), c.req.valid("query").verifier);
      if (actor.role === "agent") throw new ApiError(403, "forbidden", "agents answer or complete callbacks; they do not cancel them");
      return c.json(unwrap(await cloud.cancel(confirmation, actor)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/{confirmation}",
      operationId: "rescheduleCallback",
      tags: customers,
      summary: "Move to another window: planned and reserved anew, the old hold given back only once the new one holds",
      security: [{ verifier: [] }, { bearer: ["admin", "ops"] }] as Security,
      "x-roles": ["customer", "admin", "ops"],
      description:
        "Who may call it: customer, admin, ops. A customer passes the callback's `verifier` (no token). The window is checked as a new request's is (422 with the reason); " +
        "when nobody can take the callback in it, 409 `no_agent_in_window` and the callback keeps its time and agent.",
      middleware: [customerOrStaffFirst],
      request: { params, query: verifierQuery, body: jsonBody(rescheduleBody) },
      responses: { 200: jsonAnswer(callbackViewSchema, "the callback in its new window, with its new agent"), ...withErrors(404, 409, 413, 422) },
    }),
    async (c) => {
      const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
      const actor = actorOf(principalOf(c), c.req.valid("query").verifier);
      return c.json(unwrap(await cloud.reschedule(confirmation, actor, c.req.valid("json").when)), 200);
    },
  )
  .openapi(staffAction("annotations", "annotateCallback", textBody, "Add a note to the callback's history"), async (c) => {
    const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
    return c.json(unwrap(await cloud.annotate(confirmation, actorOf(principalOf(c), undefined), c.req.valid("json").text)), 200);
  })
  .openapi(staffAction("answer", "answerCallback", textBody, "Answer in writing instead of calling"), async (c) => {
    const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
    return c.json(unwrap(await cloud.answer(confirmation, actorOf(principalOf(c), undefined), c.req.valid("json").text)), 200);
  })
  .openapi(staffAction("transfer", "transferCallback", transferBody, "Move to another skill or site, re-planned"), async (c) => {
    const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
    return c.json(unwrap(await cloud.transfer(confirmation, actorOf(principalOf(c), undefined), c.req.valid("json"))), 200);
  })
  .openapi(staffAction("complete", "completeCallback", completeBody, "Close a callback after the call"), async (c) => {
    const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
    return c.json(unwrap(await cloud.complete(confirmation, actorOf(principalOf(c), undefined), c.req.valid("json"))), 200);
  })
  .openapi(
    createRoute({
      method: "post",
      path: "/{confirmation}/progress",
      operationId: "reportCallProgress",
      tags: ["media server"],
      summary: "Call progress from the provider's media server, HMAC-signed (x-mesh-signature)",
      security: [{ signature: [] }] as Security,
      "x-roles": ["provider"],
      description:
        "Who may call it: provider (its own media server, answering a `dial` webhook). No token: the raw body is signed " +
        "with the provider's webhook secret, `x-mesh-signature: t=<epoch ms>,v1=<hex HMAC-SHA256 of \"t.body\">`, " +
        "and refused (401) when the signature is wrong or more than five minutes old.",
      // Documented by reference, not validated before the handler: the signature covers the raw bytes, read there.
      request: { params, body: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/ProgressReport" } } } } },
      responses: { 200: jsonAnswer(callbackViewSchema, "the callback, as staff see it"), ...withErrors(404, 413) },
    }),
    async (c) => {
      // The signature covers the raw bytes, so the body is read raw, and only parsed once it is the provider's: an
      // unsigned caller learns nothing, not whether its body would do, nor whether the confirmation exists.
      const raw = await c.req.text();
      const signature = c.req.header(SIGNATURE_HEADER) ?? null;
      const place = await cloudForConfirmation(c.env, c.req.valid("param").confirmation).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      });
      if (!place || !(await place.cloud.signedByProvider(raw, signature))) {
        throw new ApiError(401, "bad_signature", "the progress report is not signed by this provider's media server");
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new ApiError(400, "invalid_request", "the body is not JSON");
      }
      const body = progressBody.safeParse(parsed);
      if (!body.success) throw invalid(body.error);
      return c.json(unwrap(await place.cloud.progress(place.confirmation, raw, signature, body.data.attempt, body.data.outcome)), 200);
    },
  );
