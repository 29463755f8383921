/** Free capacity per slot at this site, for a skill and channel over a window. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { availabilityQuery, channel } from "../../../objects/roster/model.ts";
import { slotViewSchema } from "../../../objects/roster/views.ts";
import { allow } from "../../shared/access.ts";
import { jsonAnswer, newApp, withErrors } from "../../shared/openapi.ts";

const availabilitySchema = z
  .strictObject({ siteId: z.string(), skills: z.array(z.string()), channel, slots: z.array(slotViewSchema) })
  .meta({ id: "Availability", description: "Free capacity per slot at this site for the skills (any of them) and the channel." });
import { rosterOf, type SiteApp } from "../app-types.ts";

export const availability = newApp<SiteApp>().openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "getAvailability",
    tags: ["availability"],
    summary: "Free capacity per slot (internal resources never count)",
    ...allow("admin", "ops", "partner", "cloud"),
    request: { query: availabilityQuery },
    responses: { 200: jsonAnswer(availabilitySchema, "slots"), ...withErrors() },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const slots = await rosterOf(c.env).availability(q);
    return c.json({ siteId: c.env.SITE_ID, skills: q.skill, channel: q.channel, slots }, 200);
  },
);
