/** What crosses the site's boundary: its digest (to its peer) and reservations (from the cloud). */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { reservationInput } from "../../../objects/roster/model.ts";
import { requireRole } from "../../shared/auth.ts";
import { unwrap } from "../../shared/errors.ts";
import { anyJson, jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { rosterOf, type SiteApp } from "../app-types.ts";

const tags = ["federation"];
const params = z.object({ reservationId: z.string().regex(/^rsv_[0-9a-f]{32}$/, "not a reservation id") });

const reservationAction = (action: "claim" | "release") =>
  createRoute({
    method: "post",
    path: `/reservations/{reservationId}/${action}`,
    tags,
    summary: action === "claim" ? "Confirm a held reservation at callback time" : "Give the agent back",
    middleware: [requireRole("admin", "cloud")] as const,
    request: { params },
    responses: { 200: jsonAnswer(anyJson, "the reservation"), ...withErrors(404, 409) },
  });

export const federation = newApp<SiteApp>()
  .openapi(
    createRoute({
      method: "get",
      path: "/digest",
      tags,
      summary: "This site's current digest (its own peer, and the callback cloud)",
      // The cloud reads it directly until gossip brings digests to the edge.
      middleware: [requireRole("admin", "peer", "cloud")] as const,
      request: { headers: z.object({ "if-none-match": z.string().max(64).optional() }) },
      responses: { 200: jsonAnswer(anyJson, "the digest (ETag: the roster's revision)"), 304: { description: "unchanged since that revision" }, ...withErrors() },
    }),
    async (c) => {
      // The peer polls often; while the roster has not changed it gets a 304 and nothing is computed.
      const given = c.req.valid("header")["if-none-match"]?.replace(/^"|"$/g, "") ?? null;
      const { tag, digest } = await rosterOf(c.env).digestUnless(given);
      c.header("etag", `"${tag}"`);
      return digest ? c.json(digest, 200) : c.body(null, 304);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/reservations",
      tags,
      summary: "Reserve an agent for a callback: 201, or 409 when no capacity is left",
      middleware: [requireRole("admin", "cloud")] as const,
      request: { body: jsonBody(reservationInput) },
      responses: { 201: jsonAnswer(anyJson, "the reservation"), ...withErrors(404, 409) },
    }),
    async (c) => c.json(unwrap(await rosterOf(c.env).reserve(c.req.valid("json"))), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/reservations/{reservationId}",
      tags,
      summary: "One reservation",
      middleware: [requireRole("admin", "cloud")] as const,
      request: { params },
      responses: { 200: jsonAnswer(anyJson, "the reservation"), ...withErrors(404) },
    }),
    async (c) => c.json(unwrap(await rosterOf(c.env).getReservation(c.req.valid("param").reservationId)), 200),
  )
  .openapi(reservationAction("claim"), async (c) =>
    c.json(unwrap(await rosterOf(c.env).claim(c.req.valid("param").reservationId)), 200),
  )
  .openapi(reservationAction("release"), async (c) =>
    c.json(unwrap(await rosterOf(c.env).release(c.req.valid("param").reservationId)), 200),
  );
