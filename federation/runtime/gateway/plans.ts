/**
 * Planned documents: a query whose root fields are the gateway's fan-out fields
 * (`agents`, `sites`, `site`) and whose every field below is one the site subgraph
 * answers by itself needs nothing of stitching: each member can be sent the
 * client's own selection, and the gateway only merges the members' answers (agents
 * by id, sites in member order). Such a plan is made once per document (yoga keeps
 * one parsed document per query text) and holds the text each member is sent, so a
 * repeated query is neither planned, delegated nor printed again. Anything else
 * (the cloud's fields, `Site.health`, `__typename` at the root, directives on a root
 * field, a response key given twice) has no plan and goes through stitching.
 */
import {
  getNamedType,
  getOperationAST,
  isObjectType,
  Kind,
  print,
  stripIgnoredCharacters,
  visit,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from "graphql";

export type FanOutField = "agents" | "sites" | "site";

/** The response key the gateway adds to read each agent's id when the client did not ask for `id` itself. */
export const HIDDEN_ID = "_gatewayId";

export interface PlannedField {
  kind: FanOutField;
  responseKey: string;
  /** The client's root field: its arguments are read per request. */
  field: FieldNode;
  /** The field as members are sent it (`sites` asks each member's `site`; `site(id)` asks that member's `site`). */
  sent: FieldNode;
  /** agents: where each agent's id is in the members' answers, and whether the gateway added it (and removes it). */
  idKey: string;
  hiddenId: boolean;
  /** Whether its arguments hold no variable (the same values on every request). */
  literalArgs: boolean;
}

export interface DocumentPlan {
  operation: OperationDefinitionNode;
  fields: PlannedField[];
  /** What a member is sent, by the indexes (in `fields`) of the fields it is asked. */
  requests: Map<string, { query: string; variables: string[] }>;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
}

const name = (value: string) => ({ kind: Kind.NAME, value }) as const;

/** Agents are merged by id across members: the field with the id asked for under a key of the gateway's own. */
export function withHiddenId(field: FieldNode): FieldNode {
  const hidden: SelectionNode = { kind: Kind.FIELD, alias: name(HIDDEN_ID), name: name("id") };
  return { ...field, selectionSet: { kind: Kind.SELECTION_SET, selections: [...(field.selectionSet?.selections ?? []), hidden] } };
}

const ROOT_TYPES: Record<FanOutField, string> = { agents: "Agent", sites: "Site", site: "Site" };

export class Planner {
  private readonly plans = new WeakMap<DocumentNode, Map<string, DocumentPlan | null>>();
  /** The site subgraph (every member serves it). */
  private readonly siteSchema: GraphQLSchema;
  /** `Type.field` of site types that the gateway resolves itself (`Site.health`). */
  private readonly overridden: ReadonlySet<string>;

  constructor(siteSchema: GraphQLSchema, overridden: ReadonlySet<string>) {
    this.siteSchema = siteSchema;
    this.overridden = overridden;
  }

  /** The plan of an operation, made on first sight of its document; null when it must go through stitching. */
  planFor(document: DocumentNode, operationName: string | null | undefined): DocumentPlan | null {
    let byOperation = this.plans.get(document);
    if (!byOperation) {
      byOperation = new Map();
      this.plans.set(document, byOperation);
    }
    const key = operationName ?? "";
    let plan = byOperation.get(key);
    if (plan === undefined) {
      plan = this.plan(document, operationName);
      byOperation.set(key, plan);
    }
    return plan;
  }

  private plan(document: DocumentNode, operationName: string | null | undefined): DocumentPlan | null {
    const operation = getOperationAST(document, operationName);
    if (!operation || operation.operation !== "query") return null;
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    const fields: PlannedField[] = [];
    const keys = new Set<string>();
    for (const selection of operation.selectionSet.selections) {
      if (selection.kind !== Kind.FIELD || selection.directives?.length || !selection.selectionSet) return null;
      const kind = selection.name.value;
      if (kind !== "agents" && kind !== "sites" && kind !== "site") return null;
      const responseKey = selection.alias?.value ?? kind;
      if (keys.has(responseKey)) return null;
      keys.add(responseKey);
      const type = this.siteSchema.getType(ROOT_TYPES[kind]);
      if (!isObjectType(type) || !this.servedBySite(selection.selectionSet, type, fragments, new Set())) return null;
      fields.push(this.planField(kind, responseKey, selection));
    }
    return fields.length > 0 ? { operation, fields, requests: new Map(), fragments } : null;
  }

  private planField(kind: FanOutField, responseKey: string, field: FieldNode): PlannedField {
    let literalArgs = true;
    for (const a of field.arguments ?? []) visit(a, { Variable: () => void (literalArgs = false) });
    if (kind !== "agents") {
      // A member answers its own site: `sites` and `site(id)` ask each member's `site`, under the client's response key.
      const sent: FieldNode = { ...field, alias: name(responseKey), name: name("site"), arguments: [] };
      return { kind, responseKey, field, sent, idKey: "", hiddenId: false, literalArgs };
    }
    const own = field.selectionSet?.selections.some((s) => s.kind === Kind.FIELD && s.name.value === "id" && !s.alias && !s.directives?.length);
    if (own) return { kind, responseKey, field, sent: field, idKey: "id", hiddenId: false, literalArgs };
    return { kind, responseKey, field, sent: withHiddenId(field), idKey: HIDDEN_ID, hiddenId: true, literalArgs };
  }

  /** Whether every field of a selection (its fragments' too) is one the site subgraph answers as the federated schema would. */
  private servedBySite(set: SelectionSetNode, type: GraphQLObjectType, fragments: ReadonlyMap<string, FragmentDefinitionNode>, seen: Set<string>): boolean {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        if (s.alias?.value === HIDDEN_ID) return false;
        if (s.name.value === "__typename") continue;
        const def = type.getFields()[s.name.value];
        if (!def || this.overridden.has(`${type.name}.${s.name.value}`)) return false;
        if (s.selectionSet) {
          const named = getNamedType(def.type);
          if (!isObjectType(named) || !this.servedBySite(s.selectionSet, named, fragments, seen)) return false;
        }
      } else {
        const fragment = s.kind === Kind.FRAGMENT_SPREAD ? fragments.get(s.name.value) : s;
        if (!fragment) return false;
        if (s.kind === Kind.FRAGMENT_SPREAD) {
          if (seen.has(s.name.value)) continue;
          seen.add(s.name.value);
        }
        const on = fragment.typeCondition ? this.siteSchema.getType(fragment.typeCondition.name.value) : type;
        if (!isObjectType(on) || !this.servedBySite(fragment.selectionSet, on, fragments, seen)) return false;
      }
    }
    return true;
  }
}

/** The request text for members asked the given fields of a plan (by index), made once per set of fields. */
export function memberRequest(plan: DocumentPlan, indexes: readonly number[]): { query: string; variables: string[] } {
  const key = indexes.join(",");
  let request = plan.requests.get(key);
  if (!request) {
    const sent = indexes.map((i) => plan.fields[i].sent);
    // Only the variables and fragments these fields use: a document declaring others would not validate.
    const variables = new Set<string>();
    const spread = new Set<string>();
    const collect = (node: ASTNode) =>
      visit(node, {
        Variable: (v) => {
          variables.add(v.name.value);
        },
        FragmentSpread: (f) => {
          const name = f.name.value;
          const fragment = plan.fragments.get(name);
          if (!spread.has(name) && fragment) {
            spread.add(name);
            collect(fragment);
          }
        },
      });
    sent.forEach(collect);
    for (const d of plan.operation.directives ?? []) collect(d);
    const operation: OperationDefinitionNode = {
      ...plan.operation,
      variableDefinitions: plan.operation.variableDefinitions?.filter((d) => variables.has(d.variable.name.value)),
      selectionSet: { kind: Kind.SELECTION_SET, selections: sent },
    };
    const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...[...spread].map((f) => plan.fragments.get(f) as FragmentDefinitionNode)] };
    // Made once: the compact text costs nothing per request, and is what each site's parse cache is keyed by.
    request = { query: stripIgnoredCharacters(print(document)), variables: [...variables] };
    plan.requests.set(key, request);
  }
  return request;
}
