/** Tokens this site signs for its agents, its ops staff and partners. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { systemClock } from "../../../objects/shared/clock.ts";
import { resourceId } from "../../../objects/roster/model.ts";
import { allow } from "../../shared/access.ts";
import { issuedTokenSchema, issueToken, tokenTtlSeconds as ttlSeconds } from "../../shared/auth.ts";
import { unwrap } from "../../shared/errors.ts";
import { jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { rosterOf, siteAuth, type SiteApp } from "../app-types.ts";
import { siteIdSchema } from "../../../federation/wire/vocabulary.ts";

const tokenRequest = z.discriminatedUnion("role", [
  z.strictObject({ role: z.literal("agent"), agentId: resourceId, ttlSeconds }),
  z.strictObject({ role: z.literal("ops"), name: z.string().min(1).max(120), ttlSeconds }),
  z.strictObject({ role: z.literal("partner"), partnerId: siteIdSchema, ttlSeconds }),
]);

export const tokens = newApp<SiteApp>().openapi(
  createRoute({
    method: "post",
    path: "/",
    operationId: "issueToken",
    tags: ["tokens"],
    summary: "Issue a signed token (agent, ops or partner)",
    ...allow("admin"),
    request: { body: jsonBody(tokenRequest) },
    responses: { 201: jsonAnswer(issuedTokenSchema, "the token"), ...withErrors(404, 413, 503) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    let subject: string;
    if (body.role === "agent") {
      unwrap(await rosterOf(c.env).getAgent(body.agentId)); // no tokens for agents that do not exist
      subject = body.agentId;
    } else {
      subject = body.role === "ops" ? body.name : body.partnerId;
    }
    const issued = await issueToken(siteAuth(c.env), body.role, subject, body.ttlSeconds, systemClock.now());
    return c.json({ role: body.role, subject, ...issued }, 201);
  },
);
