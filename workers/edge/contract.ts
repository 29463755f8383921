/**
 * The edge's OpenAPI document: its tags, the schemes its routes name (bearer tokens,
 * a customer's verifier, a provider's signature), and the webhook it sends.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { dialRequestSchema, noticeRequestSchema } from "../../objects/callback-cloud/media-server.ts";
import { SIGNATURE_HEADER } from "../../objects/callback-cloud/signing.ts";
import type { Security } from "../shared/access.ts";
import { publishContract, type TagDoc } from "../shared/contract.ts";
import { documentServiceRoutes, GRAPHQL_TAG, SERVICE_TAG } from "../shared/service-docs.ts";
import { jsonBody } from "../shared/openapi.ts";
import type { EdgeApp } from "./app-types.ts";

const SIGNED = "`t=<epoch ms>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">` with the provider's webhook secret; refused when more than five minutes old";

const TAGS: TagDoc[] = [
  {
    name: "customers",
    audience: "public",
    description:
      "A customer's path: an offer, a callback request, its status and live events, cancelling. No token: the offer's signed token and the callback's verifier are the permissions.",
  },
  { name: "callbacks", audience: "public", description: "Staff acting on a callback: annotate, answer in writing, transfer, complete (admin, ops, its agent)." },
  {
    name: "desk",
    audience: "public",
    description:
      "The agent's desk (the /desk page): its state at its site and its callbacks, with the member token its site signed. " +
      "Live changes come on a WebSocket, `GET /v1/desk/live`, offering the subprotocols `callback-desk.v1` and `bearer.<token>` " +
      "(a browser cannot set a header on a WebSocket); each message is `{ type: \"changed\", changes: [{ confirmation, type, status, atMs }] }`.",
  },
  { name: "console", audience: "public", description: "What the /console page shows ops (and a partner, within its site): service figures across the mesh." },
  { name: "providers", audience: "public", description: "Providers' registrations (hours, channels, intents, sites) and what their intent engine makes of a text." },
  { name: "tokens", audience: "public", description: "Tokens the edge signs for ops, partners and agents (admin only)." },
  {
    name: "webhooks",
    audience: "public",
    description:
      "A provider's event webhooks for integrators: subscribe a receiver to callback lifecycle events (`callback.requested`, `.scheduled`, `.replanned`, `.dialing`, `.connected`, " +
      "`.answered`, `.completed`, `.failed`, `.expired`, `.cancelled`). Each delivery is a POST of `{ type, timestamp, data }` signed as the Standard Webhooks specification says " +
      "(`webhook-id`, `webhook-timestamp`, `webhook-signature`), retried with growing waits (5 s to 2 h, nine attempts), in order per callback, at least once: drop repeats by `webhook-id`.",
  },
  {
    name: "media server",
    audience: "public",
    description: "A provider's own telephony: the signed `dial` webhook the edge sends it (see webhooks), the call progress it reports back, and the simulated media server's log.",
  },
  { name: "keys", audience: "public", description: "The edge's public signing keys, for partners to check what the edge signs." },
  GRAPHQL_TAG,
  SERVICE_TAG,
  {
    name: "federation",
    audience: "federation",
    description: "Between the mesh's members: the membership the edge owns and signs, digests from the edge's own peer, and the mesh's health. Not for customers or providers.",
  },
];

const SCHEMES = {
  verifier: {
    type: "apiKey",
    in: "query",
    name: "verifier",
    description: "A customer's proof of one callback: the `verifier` handed out with its confirmation (POST /v1/callbacks). A wrong one answers like an unknown confirmation.",
  },
  signature: { type: "apiKey", in: "header", name: SIGNATURE_HEADER, description: `A provider's media server signs its body: ${SIGNED}.` },
  carrierSignature: {
    type: "apiKey",
    in: "header",
    name: "X-Twilio-Signature",
    description: "A carrier signs its status callbacks as Twilio documents: base64 HMAC-SHA1, keyed with the account's auth token, of the URL followed by the form's fields sorted by name.",
  },
};

/** The dial request the edge POSTs to a provider's telephony (its registration's `webhook.url`). */
function registerWebhooks(app: OpenAPIHono<EdgeApp>): void {
  app.openAPIRegistry.registerWebhook({
    method: "post",
    path: "dial",
    operationId: "dial",
    tags: ["media server"],
    summary: "Dial: the edge asks a provider's own telephony to call (or write to) a customer",
    description:
      `Sent to the provider's \`webhook.url\` when an attempt is due, signed in \`${SIGNATURE_HEADER}\`: ${SIGNED}. ` +
      "Answer any 2xx at once, then report how the call went at POST /v1/callbacks/{confirmation}/progress, signed the same way. " +
      "Any other answer leaves the attempt under way: the edge asks again later with the same `idempotency-key`, and a key seen again must never dial again.",
    security: [{ signature: [] }] as Security,
    "x-roles": ["edge"],
    request: {
      headers: z.object({
        "idempotency-key": z.string().meta({ description: "The attempt's key, also in the body" }),
        [SIGNATURE_HEADER]: z.string().meta({ description: SIGNED }),
      }),
      body: jsonBody(dialRequestSchema),
    },
    responses: { 202: { description: "accepted: progress follows (any 2xx will do)" } },
  });
  app.openAPIRegistry.registerWebhook({
    method: "post",
    path: "notice",
    operationId: "notice",
    tags: ["media server"],
    summary: "Notice: the edge asks a provider's own telephony to send the customer a confirmation or a reminder",
    description:
      `Sent to the same \`webhook.url\` as dials, signed the same way; a body with \`notice\` is a message to send, never a call. ` +
      "Answer any 2xx once it is sent; any other answer is tried again later with the same `idempotency-key`, which must never send twice.",
    security: [{ signature: [] }] as Security,
    "x-roles": ["edge"],
    request: {
      headers: z.object({
        "idempotency-key": z.string().meta({ description: "The message's key, also in the body" }),
        [SIGNATURE_HEADER]: z.string().meta({ description: SIGNED }),
      }),
      body: jsonBody(noticeRequestSchema),
    },
    responses: { 200: { description: "sent (any 2xx will do)" } },
  });
}

/** GET / at the edge. */
export const edgeServiceSchema = z.object({ service: z.string(), openapi: z.string(), docs: z.string() }).meta({ id: "EdgeService" });

export function publishEdgeContract(app: OpenAPIHono<EdgeApp>): void {
  registerWebhooks(app);
  documentServiceRoutes(app, edgeServiceSchema, [
    { path: "/graphql", operationId: "queryFederatedGraph", summary: "The federated schema: every member's site subgraph stitched with the cloud's", roles: ["admin", "ops", "partner"] },
    { path: "/graphql/cloud", operationId: "queryCloudGraph", summary: "The callback cloud's subgraph alone", roles: ["admin", "ops", "partner"] },
  ]);
  publishContract(app, {
    title: "callback mesh edge",
    version: "1",
    description:
      "The mesh's single global endpoint: offers, callback requests and their lifecycle, providers, tokens, and the federation's membership. " +
      "Every error is `{ error: { code, message, details } }`. Each operation says who may call it (`x-roles`, and its security requirement).",
    tags: TAGS,
    schemes: SCHEMES,
    server: (c) => ({ url: c.env.PUBLIC_URL ?? new URL(c.req.url).origin, description: "this edge" }),
  });
}
