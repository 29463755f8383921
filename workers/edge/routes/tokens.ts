/** Tokens the edge signs for ops staff and for agents acting on their callbacks. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { systemClock } from "../../../objects/shared/clock.ts";
import { allow } from "../../shared/access.ts";
import { issuedTokenSchema, issueToken, tokenTtlSeconds as ttlSeconds } from "../../shared/auth.ts";
import { jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { ApiError } from "../../shared/errors.ts";
import { edgeAuth, type EdgeApp } from "../app-types.ts";
import { siteIdSchema } from "../../../federation/wire/vocabulary.ts";

const tokenRequest = z.discriminatedUnion("role", [
  // An agent is known to the cloud by its site and its opaque ref (GET /v1/agents/:id at its site shows it).
  z.strictObject({ role: z.literal("agent"), siteId: siteIdSchema, agentId: z.string().regex(/^r_[0-9a-f]{20}$/), ttlSeconds }),
  z.strictObject({ role: z.literal("ops"), name: z.string().min(1).max(120), ttlSeconds }),
  // A partner is known by its site: it sees that site whole and what other members expose to the federation.
  z.strictObject({ role: z.literal("partner"), siteId: siteIdSchema, ttlSeconds }),
]);

export const tokens = newApp<EdgeApp>().openapi(
  createRoute({
    method: "post",
    path: "/",
    operationId: "issueToken",
    tags: ["tokens"],
    summary: "Issue a signed token (ops, a partner for its site, or an agent for its callbacks)",
    ...allow("admin"),
    request: { body: jsonBody(tokenRequest) },
    responses: { 201: jsonAnswer(issuedTokenSchema, "the token"), ...withErrors(413, 422, 503) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    if (body.role === "partner" && (await c.env.MESH_VIEW.getByName("mesh").member(body.siteId))?.trust !== "partner") {
      // A partner's token is bound to its own site: one the membership lists as a partner (and good while it does).
      throw new ApiError(422, "not_a_partner", `site ${body.siteId} is not a partner member of the federation`, { siteId: body.siteId });
    }
    const subject = body.role === "agent" ? `${body.siteId}:${body.agentId}` : body.role === "partner" ? body.siteId : body.name;
    const issued = await issueToken(edgeAuth(c.env), body.role, subject, body.ttlSeconds, systemClock.now());
    return c.json({ role: body.role, subject, ...issued }, 201);
  },
);
