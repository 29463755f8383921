/** Provider registrations (the application server) and trying their intents. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { intentAnalysisSchema } from "../../../objects/callback-cloud/intents.ts";
import { listingOf, providerRegistration, publicProvider, publicProviderSchema, type PublicProvider } from "../../../objects/callback-cloud/provider.ts";
import { allow, open } from "../../shared/access.ts";
import { ApiError, unwrap } from "../../shared/errors.ts";
import { jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { directoryOf, providerOf, type EdgeApp } from "../app-types.ts";

const tags = ["providers"];
const params = z.object({ providerId: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "not a provider id") });

export const providers = newApp<EdgeApp>()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      operationId: "registerProvider",
      tags,
      summary: "Register (or update) a callback provider",
      ...allow("admin"),
      request: { body: jsonBody(providerRegistration) },
      responses: {
        200: jsonAnswer(publicProviderSchema, "updated"),
        201: jsonAnswer(publicProviderSchema, "registered"),
        ...withErrors(409, 413),
      },
    }),
    async (c) => {
      const registration = c.req.valid("json");
      const directory = directoryOf(c.env);
      const { ordinal, created } = unwrap(await directory.enrol(registration.id));
      const { shards } = unwrap(await providerOf(c.env, registration.id).configure(registration, ordinal));
      // Only once every shard holds the registration does the edge route requests to them.
      await directory.publishShards(registration.id, shards);
      await directory.setOrigins(registration.id, registration.allowedOrigins ?? []);
      await directory.setListing(registration.id, listingOf(registration));
      return c.json(publicProvider({ ...registration, shards }), created ? 201 : 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{providerId}",
      operationId: "getProvider",
      tags,
      summary: "A provider, less its secrets",
      ...open("anyone", "a registration less its webhook secret is public."),
      request: { params },
      responses: { 200: jsonAnswer(publicProviderSchema, "the provider"), ...withErrors(404) },
    }),
    async (c) => {
      const { providerId } = c.req.valid("param");
      const provider = (await directoryOf(c.env).locate(providerId)) ? await providerOf(c.env, providerId).publicRegistration() : null;
      if (!provider) throw new ApiError(404, "provider_not_found", `no provider ${providerId}`);
      // RPC's serialisable mapping turns the hours' tuples into arrays; the object returns exactly a PublicProvider.
      return c.json(provider as PublicProvider, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{providerId}/intents/analyze",
      operationId: "analyzeIntent",
      tags,
      summary: "What the intent engine makes of a text",
      ...allow("admin", "ops"),
      request: { params, body: jsonBody(z.strictObject({ text: z.string().trim().min(1, "say something").max(2000), language: z.string().max(16).optional() })) },
      responses: { 200: jsonAnswer(intentAnalysisSchema, "the analysis"), ...withErrors(404, 413) },
    }),
    async (c) => {
      const { providerId } = c.req.valid("param");
      const { text, language } = c.req.valid("json");
      if (!(await directoryOf(c.env).locate(providerId))) throw new ApiError(404, "provider_not_found", `no provider ${providerId}`);
      return c.json(unwrap(await providerOf(c.env, providerId).analyze(text, language)), 200);
    },
  );
