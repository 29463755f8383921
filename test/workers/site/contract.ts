/**
 * The site helpers' calls, each answer checked against the committed OpenAPI
 * document. A test that imports these instead of helpers.ts fails when an answer
 * drifts from its schema.
 */
import siteDocument from "../../../schema/openapi/site.json" with { type: "json" };
import { Contract, type OpenApiDocument } from "../contract-check.ts";
import * as helpers from "./helpers.ts";

export const siteContract = new Contract(siteDocument as unknown as OpenApiDocument);

export const api: typeof helpers.api = async (method, path, ...rest) => {
  const call = await helpers.api(method, path, ...rest);
  siteContract.assert(method, path, call);
  return call;
};

export const report: typeof helpers.report = async (id, ...rest) => {
  const call = await helpers.report(id, ...rest);
  siteContract.assert("POST", `/v1/agents/${id}/status`, call);
  return call;
};
