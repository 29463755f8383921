/** The service figures the console shows: every provider's callback shards added up, per provider and per site. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { FIGURES_PERIOD_MS, mergeFigures, serviceFiguresSchema } from "../../../objects/callback-cloud/service-figures.ts";
import { systemClock } from "../../../objects/shared/clock.ts";
import { allow } from "../../shared/access.ts";
import { jsonAnswer, newApp, withErrors } from "../../shared/openapi.ts";
import { everyShard, type EdgeApp } from "../app-types.ts";

const statsSchema = z
  .strictObject({
    at: z.iso.datetime(),
    periodHours: z.number().meta({ description: "What the served figures (share in window, mean wait) cover" }),
    total: serviceFiguresSchema,
    byProvider: z.array(serviceFiguresSchema.extend({ providerId: z.string() })),
    bySite: z.array(serviceFiguresSchema.extend({ siteId: z.string() })),
  })
  .meta({ id: "ServiceStats", description: "Callbacks by status, due, late and failed; the share reached within the customer's window and the mean wait, in all, per provider and per site." });

export const stats = newApp<EdgeApp>().openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "getServiceStats",
    tags: ["console"],
    summary: "Service figures across the mesh (a partner: the callbacks its own site's agents hold)",
    ...allow("admin", "ops", "partner"),
    responses: { 200: jsonAnswer(statsSchema, "the figures"), ...withErrors() },
  }),
  async (c) => {
    const principal = c.get("principal");
    const siteId = principal?.role === "partner" ? principal.partnerId : null;
    const shards = await everyShard(c.env);
    // A partner is not told which providers exist beyond those its agents serve.
    const figures = (await Promise.all(shards.map((s) => s.serviceFigures(siteId)))).filter((f) => !siteId || Object.keys(f.bySite).length > 0);
    const now = systemClock.now();
    return c.json({ at: new Date(now).toISOString(), periodHours: FIGURES_PERIOD_MS / 3_600_000, ...mergeFigures(figures) }, 200);
  },
);
