/**
 * Tokens this site signs for its agents, its ops staff and partners. With a member key
 * (MEMBER_SIGNING_KEY), an agent's token, and a partner site's token for its own staff,
 * are member tokens (EdDSA): one identity, good here and at the edge.
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { systemClock } from "../../../objects/shared/clock.ts";
import { resourceId } from "../../../objects/roster/model.ts";
import { allow } from "../../shared/access.ts";
import { issuedTokenSchema, issueToken, tokenTtlSeconds as ttlSeconds } from "../../shared/auth.ts";
import { unwrap } from "../../shared/errors.ts";
import { jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { rosterOf, siteAuth, type SiteApp } from "../app-types.ts";
import { signMemberToken } from "../../../federation/wire/member-tokens.ts";
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
    const key = c.env.MEMBER_SIGNING_KEY;
    const now = systemClock.now();
    if (body.role === "agent") {
      const agent = unwrap(await rosterOf(c.env).getAgent(body.agentId)); // no tokens for agents that do not exist
      const issued = key
        ? await signMemberToken(key, { siteId: c.env.SITE_ID, role: "agent", subject: body.agentId, ref: agent.ref }, body.ttlSeconds, now)
        : await issueToken(siteAuth(c.env), "agent", body.agentId, body.ttlSeconds, now);
      return c.json({ role: body.role, subject: body.agentId, ...issued }, 201);
    }
    if (body.role === "partner" && key && body.partnerId === c.env.SITE_ID) {
      // This site's own staff, as a partner of the federation: good at the edge while the site is a partner member.
      const issued = await signMemberToken(key, { siteId: c.env.SITE_ID, role: "partner", subject: c.env.SITE_ID }, body.ttlSeconds, now);
      return c.json({ role: body.role, subject: body.partnerId, ...issued }, 201);
    }
    const subject = body.role === "ops" ? body.name : body.partnerId;
    const issued = await issueToken(siteAuth(c.env), body.role, subject, body.ttlSeconds, now);
    return c.json({ role: body.role, subject, ...issued }, 201);
  },
);
