/**
 * Limits on what one GraphQL operation may ask, checked when it is validated
 * (before anything runs, and cached with the document): depth, aliases and an
 * estimated cost. Each refusal is a GraphQL error with its own code and the limit
 * in `extensions.details`, answered as a request error (HTTP 400 under
 * application/graphql-response+json).
 *
 * Cost: every field costs 1, and a field that returns a list multiplies what is
 * selected under it by the page it asks for — `first` when given as a literal, the
 * largest page when given by a variable (not known at validation), else the
 * argument's default, else DEFAULT_LIST_SIZE. Introspection (`__schema`, `__type`)
 * is answered from the schema at hand: it costs nothing, and has a depth limit of
 * its own (its standard query is deeper than any data query need be).
 */
import { z } from "zod";
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type FieldNode,
  type GraphQLField,
  type GraphQLNamedType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";

export interface QueryLimits {
  /** Nested fields below the root, the root field counting 1. */
  maxDepth: number;
  /** The same for introspection (`__schema`, `__type`): graphql-js's standard introspection query needs 15. */
  maxIntrospectionDepth: number;
  /** Aliased fields in one operation, fragments included. */
  maxAliases: number;
  /** Estimated fields resolved (see above). */
  maxCost: number;
  /** The page assumed for a list whose size the query does not say. */
  defaultListSize: number;
  /** The largest page a `first` may ask for. */
  maxPage: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxDepth: 12,
  maxIntrospectionDepth: 15,
  maxAliases: 30,
  maxCost: 25_000,
  defaultListSize: 10,
  maxPage: 100,
};

/** A `first` argument: a page of at most `maxPage` (named in the error as REST names a field), `fallback` when left out. */
export const firstArg = (fallback: number) =>
  z
    .number()
    .int()
    .min(0, "first is at least 0")
    .max(DEFAULT_LIMITS.maxPage, `first is at most ${DEFAULT_LIMITS.maxPage}`)
    .default(fallback);

export interface OperationMeasure {
  depth: number;
  introspectionDepth: number;
  aliases: number;
  cost: number;
}

/** Depth, aliases and cost of one operation of a validated-shape document. */
export function measureOperation(context: ValidationContext, operation: OperationDefinitionNode, limits: QueryLimits): OperationMeasure {
  const schema = context.getSchema();
  const root =
    operation.operation === "query" ? schema.getQueryType() : operation.operation === "mutation" ? schema.getMutationType() : schema.getSubscriptionType();
  let aliases = 0;
  let introspectionDepth = 0;
  // Each fragment is measured once per operation: spreading one twice at every level must not cost 2^n.
  const fragments = new Map<string, { depth: number; cost: number; aliases: number }>();

  const walk = (set: SelectionSetNode, type: GraphQLNamedType | null | undefined, seen: ReadonlySet<string>, free: boolean): { depth: number; cost: number } => {
    let depth = 0;
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) aliases++;
        const m = field(selection, type, seen, free);
        depth = Math.max(depth, m.depth);
        cost += m.cost;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        const m = walk(selection.selectionSet, on, seen, free);
        depth = Math.max(depth, m.depth);
        cost += m.cost;
      } else {
        const name = selection.name.value;
        const fragment = context.getFragment(name);
        // A cycle is reported by the standard rules; here it only must not loop.
        if (!fragment || seen.has(name)) continue;
        const key = `${name}\n${free}`;
        let m = fragments.get(key);
        if (m) {
          aliases += m.aliases;
        } else {
          const before = aliases;
          const measured = walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), new Set([...seen, name]), free);
          m = { ...measured, aliases: aliases - before };
          fragments.set(key, m);
        }
        depth = Math.max(depth, m.depth);
        cost += m.cost;
      }
    }
    return { depth, cost };
  };

  const field = (node: FieldNode, parent: GraphQLNamedType | null | undefined, seen: ReadonlySet<string>, free: boolean) => {
    const name = node.name.value;
    if (name === "__typename") return { depth: 0, cost: 0 };
    const introspection = free || name === "__schema" || name === "__type";
    const def = fieldOf(parent, name);
    const children = node.selectionSet
      ? walk(node.selectionSet, def ? getNamedType(def.type) : introspectionType(context, name), seen, introspection)
      : { depth: 0, cost: 0 };
    if (!free && introspection) {
      // The root of an introspection subtree: measured on its own, not as data.
      introspectionDepth = Math.max(introspectionDepth, 1 + children.depth);
      return { depth: 0, cost: 0 };
    }
    const multiplier = def && isListType(getNullableType(def.type)) ? listSize(node, def, limits) : 1;
    return { depth: 1 + children.depth, cost: introspection ? 0 : 1 + multiplier * children.cost };
  };

  const measured = walk(operation.selectionSet, root, new Set(), false);
  return { depth: measured.depth, introspectionDepth, aliases, cost: measured.cost };
}

/** The validation rule: one error per limit an operation goes over. */
export function limitsRule(limits: QueryLimits = DEFAULT_LIMITS): ValidationRule {
  return (context) => ({
    OperationDefinition: {
      leave(operation) {
        const m = measureOperation(context, operation, limits);
        const name = operation.name ? ` "${operation.name.value}"` : "";
        if (m.depth > limits.maxDepth) {
          context.reportError(
            new GraphQLError(`the operation${name} is ${m.depth} levels deep; at most ${limits.maxDepth} are allowed`, {
              nodes: [operation],
              extensions: { code: "query_too_deep", details: { depth: m.depth, maxDepth: limits.maxDepth } },
            }),
          );
        }
        if (m.introspectionDepth > limits.maxIntrospectionDepth) {
          context.reportError(
            new GraphQLError(`the operation${name}'s introspection is ${m.introspectionDepth} levels deep; at most ${limits.maxIntrospectionDepth} are allowed`, {
              nodes: [operation],
              extensions: { code: "query_too_deep", details: { depth: m.introspectionDepth, maxDepth: limits.maxIntrospectionDepth } },
            }),
          );
        }
        if (m.aliases > limits.maxAliases) {
          context.reportError(
            new GraphQLError(`the operation${name} uses ${m.aliases} aliases; at most ${limits.maxAliases} are allowed`, {
              nodes: [operation],
              extensions: { code: "too_many_aliases", details: { aliases: m.aliases, maxAliases: limits.maxAliases } },
            }),
          );
        }
        if (m.cost > limits.maxCost) {
          context.reportError(
            new GraphQLError(
              `the operation${name} could resolve about ${m.cost} fields; at most ${limits.maxCost} are allowed: ask for smaller pages (first) or fewer nested lists`,
              { nodes: [operation], extensions: { code: "query_too_costly", details: { cost: m.cost, maxCost: limits.maxCost } } },
            ),
          );
        }
      },
    },
  });
}

function fieldOf(type: GraphQLNamedType | null | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  return type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[name] : undefined;
}

/** `__schema` and `__type` are not fields of the query type's map: their types come from the schema's introspection types. */
function introspectionType(context: ValidationContext, name: string): GraphQLNamedType | null | undefined {
  if (name === "__schema") return context.getSchema().getType("__Schema");
  if (name === "__type") return context.getSchema().getType("__Type");
  return null;
}

function listSize(node: FieldNode, def: GraphQLField<unknown, unknown>, limits: QueryLimits): number {
  const arg = node.arguments?.find((a) => a.name.value === "first" || a.name.value === "last");
  if (arg?.value.kind === Kind.INT) return Math.max(0, Math.min(Number(arg.value.value), limits.maxPage));
  if (arg?.value.kind === Kind.VARIABLE) return limits.maxPage;
  const declared = def.args.find((a) => a.name === "first")?.defaultValue;
  return typeof declared === "number" ? Math.min(declared, limits.maxPage) : limits.defaultListSize;
}

/**
 * How deeply a document's selection sets nest, read from its text without parsing it:
 * braces outside strings, block strings and comments. graphql-js parses recursively, so a
 * document thousands of levels deep would exhaust the stack before any validation rule
 * could refuse it; this is checked first, in one pass.
 */
export function nestingOf(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "#") {
      while (i < text.length && text[i] !== "\n" && text[i] !== "\r") i++;
    } else if (ch === '"') {
      if (text.startsWith('"""', i)) {
        const end = text.indexOf('"""', i + 3);
        i = end < 0 ? text.length : end + 2;
      } else {
        for (i++; i < text.length && text[i] !== '"' && text[i] !== "\n"; i++) if (text[i] === "\\") i++;
      }
    } else if (ch === "{") {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (ch === "}") {
      depth = Math.max(0, depth - 1);
    }
  }
  return deepest;
}

/** The deepest nesting of braces a document may have before it is parsed: the depth limit, introspection's and fragments' room. */
export const maxNesting = (limits: QueryLimits) => Math.max(limits.maxDepth, limits.maxIntrospectionDepth) + 8;
