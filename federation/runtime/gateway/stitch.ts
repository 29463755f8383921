/**
 * The stitching gateway: the cloud subgraph (executed in this Worker) stitched with
 * one site subgraph per member (each behind its own HTTP executor) into the
 * federated schema. Built for one membership and kept per isolate until the
 * membership changes (a derived cache, never state).
 *
 * Every site has the same subgraph, so the planner cannot tell which site holds a
 * given agent: the fields that cross sites are the gateway's own resolvers, which
 * delegate to the right member's subschema explicitly —
 * - `agents` and `sites` at the root ask every member at once and merge;
 * - `Callback.agent` asks the site that holds the agent, batched per site;
 * - `Member.site` asks that member.
 * Within a site, `Agent.site` and `Site.agents` stay in that site's subgraph. The
 * cloud's part of Agent (its callbacks) is ordinary type merging (shape.ts).
 * A member that fails a root field is left out with an error naming it.
 *
 * A query that needs none of this (the sites' own fields under `agents`, `sites`,
 * `site`) has a plan instead (plans.ts, planned.ts): built here beside the schema,
 * from the same resolvers.
 */
import { batchDelegateToSchema } from "@graphql-tools/batch-delegate";
import { delegateToSchema, type StitchingInfo, type Subschema, type SubschemaConfig } from "@graphql-tools/delegate";
import { stitchSchemas, ValidationLevel } from "@graphql-tools/stitch";
import { buildSchema, GraphQLError, locatedError, OperationTypeNode, type FieldNode, type GraphQLResolveInfo, type GraphQLSchema } from "graphql";
import { graphError, parseArgs } from "../graphql/errors.ts";
import type { SiteTransportEnv } from "../site-client.ts";
import type { GatewayContext } from "./context.ts";
import { memberClient, memberExecutor, unreachable, type MemberClient } from "./executors.ts";
import type { GatewayMember, GatewayMembership } from "./members.ts";
import { agentArgs, type PlannedGateway } from "./planned.ts";
import { HIDDEN_ID, Planner, withHiddenId } from "./plans.ts";
import { agentInCloud, publicSchema } from "./shape.ts";
import type { Resolvers } from "./types.generated.ts";
import { typeDefs as gatewayTypeDefs } from "./types.generated.ts";

export interface GatewayParts {
  /** The cloud subgraph, executable here. */
  cloudSchema: GraphQLSchema;
  /** The site subgraph's SDL (every member serves it). */
  siteTypeDefs: string;
  env: SiteTransportEnv;
  /** Where each site's health comes from (the edge's mesh view); a site not in it answered, so it is up. */
  healthOf?: (ctx: GatewayContext) => Promise<Map<string, string>>;
}

type External = Record<string, unknown> & { id?: string };
type GatewaySubschema = Subschema<unknown, unknown, unknown, GatewayContext>;

/** A member's failure on a field that still answers: recorded beside the data, naming the member. */
function sideError(ctx: GatewayContext, info: GraphQLResolveInfo, siteId: string, error: unknown): void {
  const known = ctx.siteCalls.dead.get(siteId);
  const base =
    known ??
    (error instanceof GraphQLError && error.extensions?.siteId
      ? error
      : unreachable(siteId, `site ${siteId} failed: ${error instanceof Error ? error.message : String(error)}`));
  ctx.sideErrors.push(locatedError(new GraphQLError(base.message, { extensions: base.extensions }), info.fieldNodes, pathOf(info)));
}

function pathOf(info: GraphQLResolveInfo): (string | number)[] {
  const path: (string | number)[] = [];
  for (let p: GraphQLResolveInfo["path"] | undefined = info.path; p; p = p.prev) path.unshift(p.key);
  return path;
}

/** Asks every member the same root field; answers who answered, and records who did not. */
async function everyMember<T>(
  members: readonly GatewayMember[],
  subschemas: ReadonlyMap<string, GatewaySubschema>,
  ask: (subschema: GatewaySubschema) => Promise<unknown>,
  ctx: GatewayContext,
  info: GraphQLResolveInfo,
): Promise<{ siteId: string; value: T }[]> {
  const answers = await Promise.all(
    members.map(async (m) => {
      const subschema = subschemas.get(m.siteId);
      if (!subschema) return null;
      try {
        let value = await ask(subschema);
        if (value instanceof Error) throw value;
        // A list's items may still be merging with other subgraphs (promises): wait for them to sort or filter.
        if (Array.isArray(value)) value = await Promise.all(value);
        return { siteId: m.siteId, value: value as T };
      } catch (error) {
        sideError(ctx, info, m.siteId, error);
        return null;
      }
    }),
  );
  return answers.filter((a): a is { siteId: string; value: T } => a !== null);
}

/** Made once per field of a parsed document (graphql-js gathers a new array of a field's nodes on every execution). */
const hiddenIdNodes = new WeakMap<FieldNode, { of: readonly FieldNode[]; nodes: FieldNode[] }>();
function withHiddenIds(fieldNodes: readonly FieldNode[]): FieldNode[] {
  const kept = hiddenIdNodes.get(fieldNodes[0]);
  if (kept && kept.of.length === fieldNodes.length && kept.of.every((n, i) => n === fieldNodes[i])) return kept.nodes;
  const nodes = fieldNodes.map(withHiddenId);
  hiddenIdNodes.set(fieldNodes[0], { of: [...fieldNodes], nodes });
  return nodes;
}

function gatewayResolvers(members: readonly GatewayMember[], subschemas: ReadonlyMap<string, GatewaySubschema>, parts: GatewayParts): Resolvers {
  const rootSite = (subschema: GatewaySubschema, ctx: GatewayContext, info: GraphQLResolveInfo) =>
    delegateToSchema({ schema: subschema, operation: OperationTypeNode.QUERY, fieldName: "site", args: {}, context: ctx, info });

  return {
    Query: {
      agents: async (_, args, ctx, info) => {
        const { first } = parseArgs(agentArgs, args);
        // The merge needs every agent's id, whether or not the query asks for it.
        const fieldNodes = withHiddenIds(info.fieldNodes);
        const pages = await everyMember<External[]>(
          members,
          subschemas,
          (s) => delegateToSchema({ schema: s, operation: OperationTypeNode.QUERY, fieldName: "agents", args: { ...args, first }, fieldNodes, context: ctx, info }),
          ctx,
          info,
        );
        // Each site answered its first page in id order: the mesh's first page is the smallest ids of them all.
        // Compared by code unit, as SQLite orders them at every site (not by locale).
        const id = (a: External) => String(a[HIDDEN_ID]);
        const merged = pages.flatMap((p) => p.value).sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
        return merged.slice(0, first);
      },
      sites: async (_, __, ctx, info) => {
        const sites = await everyMember<External | null>(members, subschemas, (s) => rootSite(s, ctx, info), ctx, info);
        return sites.map((s) => s.value).filter((s): s is External => s !== null);
      },
      site: async (_, { id }, ctx, info) => {
        const subschema = subschemas.get(id);
        if (!subschema) return null;
        const site = await rootSite(subschema, ctx, info);
        if (site instanceof Error) throw site;
        return site;
      },
    },
    Callback: {
      agent: {
        selectionSet: "{ agentRef { id siteId } }",
        resolve: (callback, _, ctx, info) => {
          const ref = callback.agentRef as { id: string; siteId: string } | null | undefined;
          if (!ref) return null;
          const subschema = subschemas.get(ref.siteId);
          if (!subschema) throw graphError("site_unreachable", `site ${ref.siteId} is not a member of the mesh`, { siteId: ref.siteId });
          // One `_agents(ids)` call per site for every callback of the query that it holds.
          return batchDelegateToSchema({
            schema: subschema,
            operation: OperationTypeNode.QUERY,
            fieldName: "_agents",
            key: ref.id,
            argsFromKeys: (ids) => ({ ids }),
            context: ctx,
            info,
          });
        },
      },
    },
    Member: {
      site: {
        selectionSet: "{ siteId }",
        resolve: async (member, _, ctx, info) => {
          const subschema = member.siteId ? subschemas.get(member.siteId) : undefined;
          if (!subschema) return null;
          const site = await rootSite(subschema, ctx, info);
          if (site instanceof Error) throw site;
          return site;
        },
      },
    },
    Site: {
      health: {
        selectionSet: "{ id health }",
        resolve: async (site, _, ctx) => {
          const seen = parts.healthOf ? await parts.healthOf(ctx) : new Map<string, string>();
          return (site.id && seen.get(site.id)) ?? site.health ?? "up";
        },
      },
    },
  };
}

/** The site subgraph's schema, the same for every member: built once per isolate. */
let siteSchemaCache: { typeDefs: string; schema: GraphQLSchema } | null = null;

/** One membership's gateway: the stitched schema, and what planned documents run against. */
export interface Gateway extends PlannedGateway {
  schema: GraphQLSchema;
}

/** `Type.field` of the site types whose answer is the gateway's own (a planned document must not ask a site for them). */
function overriddenFields(resolvers: Resolvers): Set<string> {
  return new Set(
    Object.entries(resolvers)
      .filter(([type]) => type !== "Query")
      .flatMap(([type, fields]) => Object.keys(fields as object).map((field) => `${type}.${field}`)),
  );
}

export function buildGateway(membership: GatewayMembership, parts: GatewayParts): Gateway {
  if (siteSchemaCache?.typeDefs !== parts.siteTypeDefs) siteSchemaCache = { typeDefs: parts.siteTypeDefs, schema: buildSchema(parts.siteTypeDefs) };
  const siteSchema = siteSchemaCache.schema;
  const clients = new Map<string, MemberClient>(membership.members.map((m) => [m.siteId, memberClient(parts.env, m)]));
  const configs = new Map<string, SubschemaConfig<unknown, unknown, unknown, GatewayContext>>(
    membership.members.map((m) => [
      m.siteId,
      // No merge config on sites: every site has the same Agent, so type merging could not route to the right one;
      // `batch: true` merges the root fields one query asks a site for into one HTTP request.
      { name: m.siteId, schema: siteSchema, executor: memberExecutor(clients.get(m.siteId) as MemberClient), batch: true },
    ]),
  );
  const subschemas = new Map<string, GatewaySubschema>();
  const resolvers = gatewayResolvers(membership.members, subschemas, parts);
  const cloud: SubschemaConfig<unknown, unknown, unknown, GatewayContext> = {
    name: "cloud",
    schema: parts.cloudSchema,
    // See agentInCloud: an agent from any site gets its callbacks from here, for a whole list in one call.
    merge: { Agent: agentInCloud<GatewayContext>() },
    batch: true,
  };
  const stitched = stitchSchemas<GatewayContext>({
    subschemas: [cloud, ...configs.values()],
    typeDefs: gatewayTypeDefs,
    resolvers: resolvers as never,
    // Every site defines the same types: the last definition is as good as any.
    typeMergingOptions: { validationSettings: { validationLevel: ValidationLevel.Off } },
  });
  const info = stitched.extensions?.stitchingInfo as StitchingInfo<GatewayContext>;
  for (const [siteId, config] of configs) {
    const subschema = info.subschemaMap.get(config);
    if (subschema) subschemas.set(siteId, subschema);
  }
  return {
    schema: publicSchema(stitched),
    members: membership.members,
    clients,
    planner: new Planner(siteSchema, overriddenFields(resolvers)),
  };
}

/** The gateway of the current membership: rebuilt when the membership's version changes. */
export class GatewayCache {
  private current: { version: string; gateway: Gateway } | null = null;

  private readonly parts: () => GatewayParts;

  constructor(parts: () => GatewayParts) {
    this.parts = parts;
  }

  gatewayFor(membership: GatewayMembership): Gateway {
    if (this.current?.version !== membership.version) {
      this.current = { version: membership.version, gateway: buildGateway(membership, this.parts()) };
    }
    return this.current.gateway;
  }

  schemaFor(membership: GatewayMembership): GraphQLSchema {
    return this.gatewayFor(membership).schema;
  }
}
