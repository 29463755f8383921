/**
 * The helpers' calls, each answer checked against the committed OpenAPI documents
 * (the edge's, and the site's for the site Workers beside it). A test that imports
 * these instead of helpers.ts fails when an answer drifts from its schema.
 */
import edgeDocument from "../../../schema/openapi/edge.json" with { type: "json" };
import siteDocument from "../../../schema/openapi/site.json" with { type: "json" };
import { Contract, type OpenApiDocument } from "../contract-check.ts";
import * as helpers from "./helpers.ts";

export const edgeContract = new Contract(edgeDocument as unknown as OpenApiDocument);
export const siteContract = new Contract(siteDocument as unknown as OpenApiDocument);

const checked = (contract: Contract, method: string, path: string, call: helpers.Call): helpers.Call => {
  contract.assert(method, path, call);
  return call;
};

export const edge: typeof helpers.edge = async (method, path, ...rest) => checked(edgeContract, method, path, await helpers.edge(method, path, ...rest));

export const site: typeof helpers.site = async (siteId, method, path, ...rest) =>
  checked(siteContract, method, path, await helpers.site(siteId, method, path, ...rest));

export const offer: typeof helpers.offer = async (...args) => checked(edgeContract, "POST", "/v1/interactions", await helpers.offer(...args));

export const requestCallback: typeof helpers.requestCallback = async (...args) =>
  checked(edgeContract, "POST", "/v1/callbacks", await helpers.requestCallback(...args));

export const requestOnly: typeof helpers.requestOnly = async (...args) => {
  const answer = await helpers.requestOnly(...args);
  edgeContract.assert("POST", "/v1/callbacks", answer);
  return answer;
};

export const status: typeof helpers.status = async (confirmation, ...rest) =>
  checked(edgeContract, "GET", `/v1/callbacks/${confirmation}`, await helpers.status(confirmation, ...rest));
