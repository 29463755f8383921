/**
 * The shape of the federated schema, shared by the running gateway (stitch.ts) and
 * by `npm run codegen`, which prints it to schema/federated.graphql: the cloud
 * subgraph's merge configuration, the gateway's own type definitions, and which
 * root fields stay private to the gateway.
 */
import type { MergedTypeConfig } from "@graphql-tools/delegate";
import { MapperKind, mapSchema, pruneSchema } from "@graphql-tools/utils";
import type { GraphQLSchema } from "graphql";

/**
 * Root fields the subgraphs have for the gateway's own use: batched look-ups by key
 * (`_agents` at a site, `_agentCallbacks` at the cloud) and one site's availability
 * (the federated schema has it per site, `Site.availability`).
 */
export const PRIVATE_ROOT_FIELDS: ReadonlySet<string> = new Set(["_agents", "_agentCallbacks", "availability"]);

/** The federated schema as callers see it: the private root fields removed (the gateway still delegates to them). */
export function publicSchema(stitched: GraphQLSchema): GraphQLSchema {
  const hidden = mapSchema(stitched, {
    [MapperKind.ROOT_FIELD]: (config, fieldName) => (PRIVATE_ROOT_FIELDS.has(fieldName) ? null : config),
  });
  // Their argument types (AgentKey) go with them.
  return pruneSchema(hidden);
}

/**
 * The cloud's part of Agent: its callbacks. Why a merge config here: an agent
 * found at any site (root `agents`, `Site.agents`, `Callback.agent`) gets its
 * callbacks from the cloud, and type merging lets the planner do that for a whole
 * list at once. `_agentCallbacks` takes every agent's key (site and ref, the
 * selection set makes sure sites send both) in one call (`argsFromKeys`), so a page
 * of 100 agents from three sites costs one call to the cloud, not 100.
 */
export function agentInCloud<TContext = Record<string, unknown>>(): MergedTypeConfig<AgentKey, unknown, TContext> {
  return {
    selectionSet: "{ id siteId }",
    fieldName: "_agentCallbacks",
    key: ({ id, siteId }: AgentKey) => ({ id, siteId }),
    argsFromKeys: (keys) => ({ keys }),
  };
}

type AgentKey = { id: string; siteId: string };
