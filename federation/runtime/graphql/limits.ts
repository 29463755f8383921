/**
 * Limits on what one GraphQL operation may ask: depth, aliases, an estimated cost,
 * and bounds on the arguments that size a list. Checked when a document is
 * validated (before anything runs, and cached with the document), and the cost and
 * the bounds again when an operation starts, with its variables. Each refusal is a
 * GraphQL error with its own code and the limit in `extensions.details`, answered as
 * a request error (HTTP 400 under application/graphql-response+json).
 *
 * Cost: every field costs 1, and a field that returns a list multiplies what is
 * selected under it by the items it may return. For most lists that is the page
 * asked (`first`, at most the largest page; else the argument's default, else
 * DEFAULT_LIST_SIZE). The fields whose cost follows other arguments have a rule of
 * their own in FIELD_COSTS (field-costs.ts: availability: one slot per `slotMinutes` from `from` to
 * `to`, and the roster's work per day of the window), which also bounds those
 * arguments. A size given by a variable is not known when the document is validated:
 * the list counts as empty then (a lower bound, so what is refused then is too costly
 * whatever the variables), and with the variables' values when the operation starts. Introspection (`__schema`, `__type`)
 * is answered from the schema at hand: it costs nothing, and has a depth limit of
 * its own (its standard query is deeper than any data query need be).
 */
import { z } from "zod";
import {
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from "graphql";
import { FIELD_COSTS, UNKNOWN, type ArgProblem, type FieldArgs } from "./field-costs.ts";

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

// ---- lists sized by their arguments -----------------------------------------------------------

/** The page of a list sized by `first` (or `last`), else by the schema's default, else DEFAULT_LIST_SIZE. */
function pageOf(args: FieldArgs, limits: QueryLimits): number {
  const first = args.first ?? args.last;
  if (first === UNKNOWN) return 0;
  return typeof first === "number" ? Math.max(0, Math.min(first, limits.maxPage)) : limits.defaultListSize;
}

/** A field's arguments: the literals written, the variables' values (UNKNOWN without them), else the schema's defaults. */
function argumentsOf(node: FieldNode, def: GraphQLField<unknown, unknown>, variables: Record<string, unknown> | undefined): FieldArgs {
  const out: Record<string, unknown> = {};
  for (const arg of def.args) {
    const given = node.arguments?.find((a) => a.name.value === arg.name);
    if (!given) {
      out[arg.name] = arg.defaultValue;
    } else if (given.value.kind === Kind.VARIABLE) {
      const name = given.value.name.value;
      out[arg.name] = !variables ? UNKNOWN : name in variables ? variables[name] : arg.defaultValue;
    } else {
      // undefined: a value that does not coerce (the standard rules report it), or a variable inside a list.
      const value = valueFromAST(given.value, arg.type, variables);
      out[arg.name] = value === undefined && !variables ? UNKNOWN : value;
    }
  }
  return out;
}

// ---- measuring an operation -------------------------------------------------------------------

export interface OperationMeasure {
  depth: number;
  introspectionDepth: number;
  aliases: number;
  cost: number;
  /** Fields whose arguments are out of bounds, each with what is wrong. */
  refused: { field: string; node: FieldNode; problems: ArgProblem[] }[];
}

/**
 * Depth, aliases and cost of one operation of a validated-shape document. Without
 * `variables` (validation) a size given by a variable counts as 0; with them (the
 * operation's coerced variables), as they say.
 */
export function measureOperation(
  schema: GraphQLSchema,
  fragmentOf: (name: string) => FragmentDefinitionNode | null | undefined,
  operation: OperationDefinitionNode,
  limits: QueryLimits,
  variables?: Record<string, unknown>,
): OperationMeasure {
  const root =
    operation.operation === "query" ? schema.getQueryType() : operation.operation === "mutation" ? schema.getMutationType() : schema.getSubscriptionType();
  let aliases = 0;
  let introspectionDepth = 0;
  const refused: OperationMeasure["refused"] = [];
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
        const fragment = fragmentOf(name);
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
      ? walk(node.selectionSet, def ? getNamedType(def.type) : introspectionType(schema, name), seen, introspection)
      : { depth: 0, cost: 0 };
    if (!free && introspection) {
      // The root of an introspection subtree: measured on its own, not as data.
      introspectionDepth = Math.max(introspectionDepth, 1 + children.depth);
      return { depth: 0, cost: 0 };
    }
    if (introspection) return { depth: 1 + children.depth, cost: 0 };
    if (!def) return { depth: 1 + children.depth, cost: 1 + children.cost };
    const rule = parent ? FIELD_COSTS[`${parent.name}.${name}`] : undefined;
    const list = isListType(getNullableType(def.type));
    if (!rule && !list) return { depth: 1 + children.depth, cost: 1 + children.cost };
    const args = argumentsOf(node, def, variables);
    const cost = rule ? rule(args) : { items: pageOf(args, limits) };
    if ("refused" in cost) {
      refused.push({ field: name, node, problems: cost.refused });
      return { depth: 1 + children.depth, cost: 1 };
    }
    return { depth: 1 + children.depth, cost: (cost.own ?? 1) + (list ? cost.items : 1) * children.cost };
  };

  const measured = walk(operation.selectionSet, root, new Set(), false);
  return { depth: measured.depth, introspectionDepth, aliases, cost: measured.cost, refused };
}

/**
 * The errors of the limits an operation goes over. `shape` (validation) adds depth and
 * aliases, which no variable changes; without it (when the operation starts) each error
 * says it is a request error as yoga marks validation's (400 under
 * application/graphql-response+json; yoga reads `http` and does not send it).
 */
function limitErrors(m: OperationMeasure, operation: OperationDefinitionNode, limits: QueryLimits, shape: boolean): GraphQLError[] {
  const name = operation.name ? ` "${operation.name.value}"` : "";
  const errors: GraphQLError[] = [];
  const requestError = (message: string, node: OperationDefinitionNode | FieldNode, code: string, details: unknown) =>
    new GraphQLError(message, { nodes: [node], extensions: { code, details, ...(shape ? {} : { http: { spec: true, status: 400 } }) } });
  if (shape && m.depth > limits.maxDepth) {
    errors.push(
      requestError(`the operation${name} is ${m.depth} levels deep; at most ${limits.maxDepth} are allowed`, operation, "query_too_deep", {
        depth: m.depth,
        maxDepth: limits.maxDepth,
      }),
    );
  }
  if (shape && m.introspectionDepth > limits.maxIntrospectionDepth) {
    errors.push(
      requestError(
        `the operation${name}'s introspection is ${m.introspectionDepth} levels deep; at most ${limits.maxIntrospectionDepth} are allowed`,
        operation,
        "query_too_deep",
        { depth: m.introspectionDepth, maxDepth: limits.maxIntrospectionDepth },
      ),
    );
  }
  if (shape && m.aliases > limits.maxAliases) {
    errors.push(
      requestError(`the operation${name} uses ${m.aliases} aliases; at most ${limits.maxAliases} are allowed`, operation, "too_many_aliases", {
        aliases: m.aliases,
        maxAliases: limits.maxAliases,
      }),
    );
  }
  for (const r of m.refused) {
    errors.push(
      requestError(`the arguments of ${r.field} are not valid: ${r.problems.map((p) => p.message).join("; ")}`, r.node, "invalid_request", {
        fields: r.problems,
      }),
    );
  }
  if (m.cost > limits.maxCost) {
    errors.push(
      requestError(
        `the operation${name} could resolve about ${m.cost} fields; at most ${limits.maxCost} are allowed: ask for smaller pages (first), shorter windows or fewer nested lists`,
        operation,
        "query_too_costly",
        { cost: m.cost, maxCost: limits.maxCost },
      ),
    );
  }
  return errors;
}

/** The validation rule: one error per limit an operation goes over whatever its variables. */
export function limitsRule(limits: QueryLimits = DEFAULT_LIMITS): ValidationRule {
  return (context) => ({
    OperationDefinition: {
      leave(operation) {
        const m = measureOperation(context.getSchema(), (name) => context.getFragment(name), operation, limits);
        for (const error of limitErrors(m, operation, limits, true)) context.reportError(error);
      },
    },
  });
}

export interface OperationCost {
  /** The estimated fields the operation resolves, with its variables. */
  cost: number;
  /** The limits its variables make it go over (cost, arguments' bounds): the request is refused with them. */
  errors: GraphQLError[];
}

/** Fragments by name, per document (yoga keeps one parsed document per query text). */
const fragmentsByDocument = new WeakMap<DocumentNode, Map<string, FragmentDefinitionNode>>();
/** An operation without variables costs the same on every request. */
const fixedCosts = new WeakMap<OperationDefinitionNode, OperationCost>();

/**
 * The cost of the operation a request runs, measured with its variables when it
 * starts (after validation). Variables that do not coerce are left to graphql-js,
 * which refuses them: the operation then runs nothing and costs 1.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Readonly<Record<string, unknown>> | null | undefined,
  limits: QueryLimits = DEFAULT_LIMITS,
): OperationCost {
  const operation = getOperationAST(document, operationName);
  if (!operation) return { cost: 1, errors: [] };
  const fixed = !operation.variableDefinitions?.length;
  if (fixed) {
    const known = fixedCosts.get(operation);
    if (known) return known;
  }
  let variables: Record<string, unknown> = {};
  if (!fixed) {
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], { ...rawVariables });
    if (coerced.errors) return { cost: 1, errors: [] };
    variables = coerced.coerced;
  }
  let fragments = fragmentsByDocument.get(document);
  if (!fragments) {
    fragments = new Map(document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
    fragmentsByDocument.set(document, fragments);
  }
  const m = measureOperation(schema, (name) => fragments.get(name), operation, limits, variables);
  const result = { cost: m.cost, errors: limitErrors(m, operation, limits, false) };
  if (fixed) fixedCosts.set(operation, result);
  return result;
}

function fieldOf(type: GraphQLNamedType | null | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  return type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[name] : undefined;
}

/** `__schema` and `__type` are not fields of the query type's map: their types come from the schema's introspection types. */
function introspectionType(schema: GraphQLSchema, name: string): GraphQLNamedType | null | undefined {
  if (name === "__schema") return schema.getType("__Schema");
  if (name === "__type") return schema.getType("__Type");
  return null;
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
