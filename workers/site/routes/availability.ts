/** Free capacity per slot at this site, for a skill and channel over a window. */
import { createRoute } from "@hono/zod-openapi";
import { availabilityQuery } from "../../../objects/roster/model.ts";
import { requireRole } from "../../shared/auth.ts";
import { anyJson, jsonAnswer, newApp, withErrors } from "../../shared/openapi.ts";
import { rosterOf, type SiteApp } from "../app-types.ts";

export const availability = newApp<SiteApp>().openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["availability"],
    summary: "Free capacity per slot (internal resources never count)",
    middleware: [requireRole("admin", "ops", "partner", "cloud")] as const,
    request: { query: availabilityQuery },
    responses: { 200: jsonAnswer(anyJson, "slots"), ...withErrors() },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const slots = await rosterOf(c.env).availability(q);
    return c.json({ siteId: c.env.SITE_ID, skills: q.skill, channel: q.channel, slots }, 200);
  },
);
