/**
 * Running a planned document (plans.ts): each member is sent the plan's text for
 * the fields it is asked, all at once, and the answers are merged as the gateway's
 * own resolvers merge them (stitch.ts): agents by id across members, cut to the
 * page asked; sites in member order; `site(id)` from that member alone. A member
 * that does not answer is left out with the same `site_unreachable` error, at the
 * same path. Anything a plan does not foresee — a member's own errors beside its
 * data, arguments or variables that do not coerce — goes through stitching
 * instead, which answers it as before (asking the members again).
 */
import type { ExecutionArgs, ExecutionResult, GraphQLFieldMap } from "graphql";
import { getArgumentValues, getVariableValues, GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { z } from "zod";
import { firstArg } from "../graphql/limits.ts";
import type { GatewayContext } from "./context.ts";
import type { MemberClient } from "./executors.ts";
import type { GatewayMember } from "./members.ts";
import { memberRequest, type DocumentPlan, type PlannedField, type Planner } from "./plans.ts";

/** The root `agents` field's arguments as the gateway reads them (the page it cuts the merged list to). */
export const agentArgs = z.object({ first: firstArg(100) }).loose();

/** What a plan runs against: one membership's members, their clients, and the plans made for it. */
export interface PlannedGateway {
  members: readonly GatewayMember[];
  clients: ReadonlyMap<string, MemberClient>;
  planner: Planner;
}

type Execute = (args: ExecutionArgs) => unknown;
type Row = Record<string, unknown>;

/** Code-unit order, as SQLite orders ids at every site (not by locale). */
const byId = (key: string) => (a: Row, b: Row) => {
  const x = String(a[key]);
  const y = String(b[key]);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** A member left out for this request: its answer is only the error naming it. */
const unanswered = (answer: ExecutionResult) => !answer.data && !!answer.errors?.every((e) => e.extensions?.code === "site_unreachable");

type FieldArgs = { page: number; target: string | null };
/** A field's arguments without variables are the same on every request: read once. */
const literalArgs = new WeakMap<PlannedField, FieldArgs>();

/** What the gateway reads of a root field's arguments: the page `agents` is cut to, the member `site(id)` names. Null: not as planned. */
function argumentsOf(f: PlannedField, rootFields: GraphQLFieldMap<unknown, unknown>, variables: Record<string, unknown>): FieldArgs | null {
  const known = literalArgs.get(f);
  if (known) return known;
  const def = rootFields[f.kind];
  if (!def) return null;
  let values: Record<string, unknown>;
  try {
    values = getArgumentValues(def, f.field, variables);
  } catch {
    return null;
  }
  let page = 0;
  if (f.kind === "agents") {
    const parsed = agentArgs.safeParse(values);
    if (!parsed.success) return null;
    page = parsed.data.first;
  }
  const read = { page, target: f.kind === "site" ? String(values.id) : null };
  if (f.literalArgs) literalArgs.set(f, read);
  return read;
}

export async function executePlanned(plan: DocumentPlan, args: ExecutionArgs, gateway: PlannedGateway, fallback: Execute): Promise<unknown> {
  const ctx = args.contextValue as GatewayContext;
  const raw = (args.variableValues ?? {}) as Record<string, unknown>;
  let variables: Record<string, unknown> = {};
  if (plan.operation.variableDefinitions?.length) {
    const coerced = getVariableValues(args.schema, plan.operation.variableDefinitions, raw);
    if (coerced.errors) return fallback(args);
    variables = coerced.coerced;
  }
  const rootFields = args.schema.getQueryType()?.getFields() ?? {};
  const pages: number[] = [];
  const targets: (string | null)[] = [];
  for (const [i, f] of plan.fields.entries()) {
    const read = argumentsOf(f, rootFields, variables);
    if (!read) return fallback(args);
    pages[i] = read.page;
    targets[i] = read.target;
  }

  // Every member is asked the fan-out fields; a `site(id)` only of the member it names.
  const asked = gateway.members
    .map((m) => ({ siteId: m.siteId, indexes: plan.fields.flatMap((f, i) => (f.kind !== "site" || targets[i] === m.siteId ? [i] : [])) }))
    .filter((a) => a.indexes.length > 0);
  const operationName = plan.operation.name?.value;
  const answers: ExecutionResult[] = await Promise.all(
    asked.map(({ siteId, indexes }): ExecutionResult | Promise<ExecutionResult> => {
      const client = gateway.clients.get(siteId);
      if (!client) return { errors: [new GraphQLError(`site ${siteId} has no client`, { extensions: { code: "site_unreachable", siteId } })] };
      const request = memberRequest(plan, indexes);
      const sent: Record<string, unknown> = {};
      for (const name of request.variables) if (name in raw) sent[name] = raw[name];
      return client.send({ query: request.query, variables: sent, operationName }, ctx);
    }),
  );
  // A member's own errors are placed in the answer by stitching's rules: that rare case goes that way whole.
  for (const [j, answer] of answers.entries()) {
    if (unanswered(answer)) continue;
    if (answer.errors?.length || !answer.data) return fallback(args);
    for (const i of asked[j].indexes) if (plan.fields[i].kind === "agents" && !Array.isArray(answer.data[plan.fields[i].responseKey])) return fallback(args);
  }

  const data: Row = {};
  const errors: GraphQLError[] = [];
  for (const [i, f] of plan.fields.entries()) {
    const from = asked.flatMap((a, j) => (a.indexes.includes(i) ? [{ siteId: a.siteId, answer: answers[j] }] : []));
    const located = (answer: ExecutionResult) => {
      const base = answer.errors?.[0] as GraphQLError;
      return new GraphQLError(base.message, { nodes: [f.field], path: [f.responseKey], extensions: base.extensions });
    };
    const answered = from.filter((x) => !unanswered(x.answer)).map((x) => (x.answer.data as Row)[f.responseKey]);
    const missing = from.filter((x) => unanswered(x.answer)).map((x) => located(x.answer));
    if (f.kind === "site") {
      // Asked of one member alone: null with its error when it did not answer, null when it is no member.
      data[f.responseKey] = answered[0] ?? null;
      errors.push(...missing);
      continue;
    }
    // The fan-out fields answer with the others' data; the missing members' errors go beside it, as stitch.ts records them.
    ctx.sideErrors.push(...missing);
    if (f.kind === "sites") {
      data[f.responseKey] = answered.filter((s) => s !== null);
      continue;
    }
    // Each member answered its first page in id order: the mesh's page is the smallest ids of them all (a stable sort
    // keeps equal ids in member order, as stitching's merge does).
    const merged = (answered as Row[][]).flat().sort(byId(f.idKey)).slice(0, pages[i]);
    if (f.hiddenId) for (const agent of merged) delete agent[f.idKey];
    data[f.responseKey] = merged;
  }
  return errors.length > 0 ? { data, errors } : { data };
}

/**
 * Runs the operations that have a plan as planned, the others through stitching.
 * Last among the plugins, so that every other plugin's hooks (limits, side errors,
 * member stats) apply to both.
 */
export function usePlannedDocuments(gatewayOf: (ctx: GatewayContext) => PlannedGateway): Plugin {
  return {
    onExecute: ({ args, executeFn, setExecuteFn }) => {
      const gateway = gatewayOf(args.contextValue as unknown as GatewayContext);
      const plan = gateway.planner.planFor(args.document, args.operationName);
      if (plan) setExecuteFn((a) => executePlanned(plan, a, gateway, executeFn) as ReturnType<typeof executeFn>);
    },
  };
}
