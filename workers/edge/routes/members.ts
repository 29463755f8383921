/** The federation's membership, owned by the edge: add, list and remove members; the list is signed. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { memberInput, membershipSchema } from "../../../federation/wire/membership.ts";
import { allow, open } from "../../shared/access.ts";
import { ApiError, unwrap } from "../../shared/errors.ts";
import { meshViewOf } from "../../shared/mesh-routes.ts";
import { jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import type { EdgeApp } from "../app-types.ts";
import { siteIdSchema } from "../../../federation/wire/vocabulary.ts";

const tags = ["federation"];

export const members = newApp<EdgeApp>()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      operationId: "putMember",
      tags,
      summary: "Add (or replace) a member: site id, peer id, subgraph URL, trust and exposure",
      ...allow("admin"),
      request: { body: jsonBody(memberInput) },
      responses: {
        200: jsonAnswer(membershipSchema, "replaced: the new list"),
        201: jsonAnswer(membershipSchema, "added: the new list"),
        ...withErrors(409, 413, 503),
      },
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
      operationId: "listMembers",
      tags,
      summary: "The membership list",
      ...allow("admin", "ops"),
      responses: { 200: jsonAnswer(membershipSchema, "the list"), ...withErrors() },
    }),
    async (c) => c.json((await meshViewOf(c.env).membership()).membership, 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{siteId}",
      operationId: "removeMember",
      tags,
      summary: "Remove a member: its digests stop counting wherever the new list reaches",
      ...allow("admin"),
      request: { params: z.object({ siteId: siteIdSchema }) },
      responses: { 200: jsonAnswer(membershipSchema, "the new list"), ...withErrors(404, 503) },
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
    operationId: "getSignedMembership",
    tags,
    summary: "The membership list as the edge signed it (peers check it with the edge's public key)",
    ...open("anyone", "peer ids and addresses, no secrets, and nobody can forge it without the edge's key (GET /.well-known/jwks.json)."),
    responses: {
      200: jsonAnswer(
        z.strictObject({ jws: z.string().meta({ description: "Compact JWS (EdDSA, typ membership+jws) of a Membership" }) }).meta({ id: "SignedMembership" }),
        "the list, signed",
      ),
      ...withErrors(404),
    },
  }),
  async (c) => {
    const { jws } = await meshViewOf(c.env).membership();
    if (!jws) throw new ApiError(404, "no_members", "the federation has no members yet");
    return c.json({ jws }, 200);
  },
);
