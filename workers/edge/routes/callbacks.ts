/**
 * Callbacks: customers request them (with their indicia) and follow them (with
 * confirmation and verifier); agents and ops act on them; the provider's media
 * server reports call progress, signed.
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { callbackRequest, completeBody, progressBody, textBody, transferBody } from "../../../objects/callback-cloud/requests.ts";
import { SIGNATURE_HEADER } from "../../../objects/callback-cloud/signing.ts";
import type { CallbackView } from "../../../objects/callback-cloud/views.ts";
import type { Result } from "../../../objects/shared/problem.ts";
import { systemClock } from "../../../objects/shared/clock.ts";
import { requireRole, type Principal } from "../../shared/auth.ts";
import { ApiError, invalid, unwrap } from "../../shared/errors.ts";
import { anyJson, jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { actorOf, cloudForConfirmation, cloudOf, type EdgeApp } from "../app-types.ts";
import { verifyIndicia } from "../indicia.ts";

const tags = ["callbacks"];
const params = z.object({ confirmation: z.string().min(1).max(32) });
const verifierQuery = z.object({ verifier: z.string().max(64).optional() });
const idempotencyHeader = z.object({
  "idempotency-key": z
    .string({ error: "an Idempotency-Key header is required" })
    .min(8, "an Idempotency-Key has at least 8 characters")
    .max(128),
});

const principalOf = (c: { get(key: "principal"): Principal | null }) => c.get("principal");

/** An agent or ops action on a callback: one route shape, one body schema, one object method. */
function staffAction<S extends z.ZodType>(
  action: "annotations" | "answer" | "transfer" | "complete",
  body: S,
  roles: ("admin" | "ops" | "agent")[],
  summary: string,
) {
  return createRoute({
    method: "post",
    path: `/{confirmation}/${action}`,
    tags,
    summary,
    middleware: [requireRole(...roles)] as const,
    request: { params, body: jsonBody(body) },
    responses: { 200: jsonAnswer(anyJson, "the callback"), ...withErrors(404, 409) },
  });
}

export const callbacks = newApp<EdgeApp>()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      tags,
      summary: "Request a callback; answers once it is durable, with a confirmation and a verifier",
      request: { headers: idempotencyHeader, body: jsonBody(callbackRequest) },
      responses: { 201: jsonAnswer(anyJson, "accepted"), ...withErrors(409), 422: jsonAnswer(anyJson, "the provider's rules forbid it") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const key = c.req.valid("header")["idempotency-key"];
      // The provider named in an indicia this edge signed exists: no directory look-up on the hot path.
      const { providerId, userId } = await verifyIndicia(c.env.EDGE_JWT_SECRET, body.indicia, systemClock.now());
      // RPC's serialisable mapping of this deep type degrades to unknown; the object returns exactly this.
      const result = (await cloudOf(c.env, providerId).request(body, userId, key)) as Result<{ callback: CallbackView; verifier: string }>;
      const { callback, verifier } = unwrap(result);
      return c.json(
        {
          confirmation: callback.confirmation,
          verifier,
          status: callback.status,
          scheduledFor: callback.scheduledFor,
          window: callback.window,
          channel: callback.channel,
          intent: callback.intent,
          statusUrl: `${callback.statusUrl}?verifier=${encodeURIComponent(verifier)}`,
        },
        201,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{confirmation}",
      tags,
      summary: "Status and history; customers need the verifier, staff see the agent and contact too",
      request: { params, query: verifierQuery },
      responses: { 200: jsonAnswer(anyJson, "the callback"), ...withErrors(404) },
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
      tags,
      summary: "The same history as server-sent events, live",
      request: { params, query: verifierQuery },
      responses: { 200: { description: "text/event-stream" }, ...withErrors(404) },
    }),
    async (c) => {
      const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
      const actor = actorOf(principalOf(c), c.req.valid("query").verifier);
      const url = new URL("https://cloud/events");
      url.searchParams.set("confirmation", confirmation);
      url.searchParams.set("actor", JSON.stringify(actor));
      const res = await cloud.fetch(url.toString());
      if (res.status === 404) throw new ApiError(404, "callback_not_found", "no callback with that confirmation and verifier");
      return res;
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{confirmation}",
      tags,
      summary: "Cancel: by the customer (verifier), ops or admin",
      request: { params, query: verifierQuery },
      responses: { 200: jsonAnswer(anyJson, "the cancelled callback"), ...withErrors(404, 409) },
    }),
    async (c) => {
      const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
      const actor = actorOf(principalOf(c), c.req.valid("query").verifier);
      if (actor.role === "agent") throw new ApiError(403, "forbidden", "agents answer or complete callbacks; they do not cancel them");
      return c.json(unwrap(await cloud.cancel(confirmation, actor)), 200);
    },
  )
  .openapi(staffAction("annotations", textBody, ["admin", "ops", "agent"], "Add a note to the callback's history"), async (c) => {
    const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
    return c.json(unwrap(await cloud.annotate(confirmation, actorOf(principalOf(c), undefined), c.req.valid("json").text)), 200);
  })
  .openapi(staffAction("answer", textBody, ["admin", "ops", "agent"], "Answer in writing instead of calling"), async (c) => {
    const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
    return c.json(unwrap(await cloud.answer(confirmation, actorOf(principalOf(c), undefined), c.req.valid("json").text)), 200);
  })
  .openapi(staffAction("transfer", transferBody, ["admin", "ops", "agent"], "Move to another skill or site, re-planned"), async (c) => {
    const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
    return c.json(unwrap(await cloud.transfer(confirmation, actorOf(principalOf(c), undefined), c.req.valid("json"))), 200);
  })
  .openapi(staffAction("complete", completeBody, ["admin", "ops", "agent"], "Close a callback after the call"), async (c) => {
    const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
    return c.json(unwrap(await cloud.complete(confirmation, actorOf(principalOf(c), undefined), c.req.valid("json"))), 200);
  })
  .openapi(
    createRoute({
      method: "post",
      path: "/{confirmation}/progress",
      tags,
      summary: "Call progress from the provider's media server, HMAC-signed (x-mesh-signature)",
      request: { params },
      responses: { 200: jsonAnswer(anyJson, "the callback"), ...withErrors(404) },
    }),
    async (c) => {
      // The signature covers the raw bytes, so the body is read raw and parsed after.
      const raw = await c.req.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new ApiError(400, "invalid_request", "the body is not JSON");
      }
      const body = progressBody.safeParse(parsed);
      if (!body.success) throw invalid(body.error);
      const { cloud, confirmation } = await cloudForConfirmation(c.env, c.req.valid("param").confirmation);
      const signature = c.req.header(SIGNATURE_HEADER) ?? null;
      return c.json(unwrap(await cloud.progress(confirmation, raw, signature, body.data.attempt, body.data.outcome)), 200);
    },
  );
