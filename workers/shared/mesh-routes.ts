/**
 * Routes of the mesh view, the same at every node (site or edge): digests in from
 * the node's own peer, the membership list it relays, and GET /v1/mesh.
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { membershipSchema } from "../../federation/wire/membership.ts";
import type { MeshView } from "../../objects/mesh-view/mesh-view.ts";
import { digestReceiptSchema, meshStatusSchema, ownPeerReportSchema } from "../../objects/mesh-view/views.ts";
import { allow } from "./access.ts";
import type { AuthVariables } from "./auth.ts";
import { unwrap } from "./errors.ts";
import { jsonAnswer, jsonBody, newApp, withErrors } from "./openapi.ts";

type MeshEnv = { Bindings: { MESH_VIEW: DurableObjectNamespace<MeshView> }; Variables: AuthVariables };

export const meshViewOf = (env: MeshEnv["Bindings"]) => env.MESH_VIEW.getByName("mesh");

/** POST /federation/digests and POST /federation/membership: only this node's own peer brings them. */
export function federationInbound<E extends MeshEnv>() {
  return newApp<E>()
    .openapi(
      createRoute({
        method: "post",
        path: "/digests",
        operationId: "receiveDigests",
        tags: ["federation"],
        summary: "Digests this node's peer received from the mesh (checked again here)",
        ...allow("admin", "peer"),
        request: { body: jsonBody(z.strictObject({ digests: z.array(z.unknown()).min(1).max(100) })) },
        responses: { 200: jsonAnswer(digestReceiptSchema, "what was accepted and what was not"), ...withErrors(413) },
      }),
      async (c) => c.json(await meshViewOf(c.env).receive(c.req.valid("json").digests), 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/peer",
        operationId: "reportPeer",
        tags: ["federation"],
        summary: "This node's peer reports its id, connections and what it published, accepted and refused",
        ...allow("admin", "peer"),
        request: { body: jsonBody(ownPeerReportSchema) },
        responses: { 204: { description: "noted" }, ...withErrors(413) },
      }),
      async (c) => {
        await meshViewOf(c.env).reportOwnPeer(c.req.valid("json"));
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/membership",
        operationId: "acceptMembership",
        tags: ["federation"],
        summary: "The membership list as the edge signed it (refused unless its signature checks out)",
        ...allow("admin", "peer"),
        request: { body: jsonBody(z.strictObject({ jws: z.string().min(16).max(200_000) })) },
        responses: { 200: jsonAnswer(membershipSchema, "the list now in force (ours, when it is newer)"), ...withErrors(413, 503) },
      }),
      async (c) => c.json(unwrap(await meshViewOf(c.env).acceptMembership(c.req.valid("json").jws)), 200),
    );
}

/** GET /v1/mesh: members, peer ids, addresses, sequence, digest age, health and agent counts. */
export function meshStatus<E extends MeshEnv>() {
  return newApp<E>().openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "getMesh",
      tags: ["federation"],
      summary: "The mesh as this node sees it",
      ...allow("admin", "ops", "partner", "peer"),
      responses: { 200: jsonAnswer(meshStatusSchema, "the mesh"), ...withErrors() },
    }),
    async (c) => c.json(await meshViewOf(c.env).members(), 200),
  );
}
