/** What crosses the site's boundary: its digest (to its peer) and reservations (from the cloud). */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { digestSchema } from "../../../federation/wire/digest.ts";
import { reservationInput } from "../../../objects/roster/model.ts";
import { reservationViewSchema } from "../../../objects/roster/views.ts";
import { allow } from "../../shared/access.ts";
import { unwrap } from "../../shared/errors.ts";
import { jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { ownListing, rosterOf, type SiteApp } from "../app-types.ts";

const tags = ["federation"];
const params = z.object({ reservationId: z.string().regex(/^rsv_[0-9a-f]{32}$/, "not a reservation id") });

const reservationAction = (action: "claim" | "release") =>
  createRoute({
    method: "post",
    path: `/reservations/{reservationId}/${action}`,
    operationId: action === "claim" ? "claimReservation" : "releaseReservation",
    tags,
    summary: action === "claim" ? "Confirm a held reservation at callback time" : "Give the agent back",
    ...allow("admin", "cloud"),
    request: { params },
    responses: { 200: jsonAnswer(reservationViewSchema, "the reservation"), ...withErrors(404, 409) },
  });

export const federation = newApp<SiteApp>()
  .openapi(
    createRoute({
      method: "get",
      path: "/digest",
      operationId: "getDigest",
      tags,
      summary: "This site's current digest (its own peer, and the callback cloud)",
      // The cloud reads it directly when gossip has not brought it (an edge without peers).
      ...allow("admin", "peer", "cloud"),
      request: { headers: z.object({ "if-none-match": z.string().max(64).optional() }) },
      responses: {
        200: jsonAnswer(digestSchema, "the digest (ETag: the roster's revision)"),
        304: { description: "unchanged since that revision" },
        ...withErrors(),
      },
    }),
    async (c) => {
      // The peer polls often; while the roster has not changed it gets a 304 and nothing is computed.
      const given = c.req.valid("header")["if-none-match"]?.replace(/^"|"$/g, "") ?? null;
      const { tag, digest } = await rosterOf(c.env).digestUnless(given, await ownListing(c.env));
      c.header("etag", `"${tag}"`);
      return digest ? c.json(digest, 200) : c.body(null, 304);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/reservations",
      operationId: "reserveAgent",
      tags,
      summary: "Reserve an agent for a callback: 201, or 409 when no capacity is left",
      ...allow("admin", "cloud"),
      request: { body: jsonBody(reservationInput) },
      responses: { 201: jsonAnswer(reservationViewSchema, "the reservation"), ...withErrors(404, 409, 413) },
    }),
    async (c) => c.json(unwrap(await rosterOf(c.env).reserve(c.req.valid("json"))), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/reservations/{reservationId}",
      operationId: "getReservation",
      tags,
      summary: "One reservation",
      ...allow("admin", "cloud"),
      request: { params },
      responses: { 200: jsonAnswer(reservationViewSchema, "the reservation"), ...withErrors(404) },
    }),
    async (c) => c.json(unwrap(await rosterOf(c.env).getReservation(c.req.valid("param").reservationId)), 200),
  )
  .openapi(reservationAction("claim"), async (c) =>
    c.json(unwrap(await rosterOf(c.env).claim(c.req.valid("param").reservationId)), 200),
  )
  .openapi(reservationAction("release"), async (c) =>
    c.json(unwrap(await rosterOf(c.env).release(c.req.valid("param").reservationId)), 200),
  );
