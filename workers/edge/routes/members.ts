/** The federation's membership, owned by the edge: add, list and remove members; the list is signed. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { memberInput } from "../../../federation/membership.ts";
import { requireRole } from "../../shared/auth.ts";
import { ApiError, unwrap } from "../../shared/errors.ts";
import { meshViewOf } from "../../shared/mesh-routes.ts";
import { anyJson, jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import type { EdgeApp } from "../app-types.ts";
import { siteIdSchema } from "../../../federation/digest.ts";

const tags = ["federation"];

export const members = newApp<EdgeApp>()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      tags,
      summary: "Add (or replace) a member: site id, peer id, subgraph URL, trust and exposure",
      middleware: [requireRole("admin")] as const,
      request: { body: jsonBody(memberInput) },
      responses: { 200: jsonAnswer(anyJson, "replaced"), 201: jsonAnswer(anyJson, "added"), ...withErrors(409) },
    }),
    async (c) => {
      const { membership, created } = unwrap(await meshViewOf(c.env).putMember(c.req.valid("json")));
      return c.json(membership, created ? 201 : 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      tags,
      summary: "The membership list",
      middleware: [requireRole("admin", "ops")] as const,
      responses: { 200: jsonAnswer(anyJson, "the list"), ...withErrors() },
    }),
    async (c) => c.json((await meshViewOf(c.env).membership()).membership, 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{siteId}",
      tags,
      summary: "Remove a member: its digests stop counting wherever the new list reaches",
      middleware: [requireRole("admin")] as const,
      request: { params: z.object({ siteId: siteIdSchema }) },
      responses: { 200: jsonAnswer(anyJson, "the new list"), ...withErrors(404) },
    }),
    async (c) => c.json(unwrap(await meshViewOf(c.env).removeMember(c.req.valid("param").siteId)).membership, 200),
  );

/**
 * GET /federation/membership: the signed list, open to all. Every peer (partners'
 * too) fetches it to know whom to trust; it holds peer ids and addresses, no
 * secrets, and nobody can forge it without the edge's key.
 */
export const signedMembership = newApp<EdgeApp>().openapi(
  createRoute({
    method: "get",
    path: "/membership",
    tags,
    summary: "The membership list as the edge signed it (peers check it with the edge's public key)",
    responses: { 200: jsonAnswer(anyJson, "{ jws }"), 404: jsonAnswer(anyJson, "no members yet") },
  }),
  async (c) => {
    const { jws } = await meshViewOf(c.env).membership();
    if (!jws) throw new ApiError(404, "no_members", "the federation has no members yet");
    return c.json({ jws }, 200);
  },
);
