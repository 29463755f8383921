/**
 * Answers checked against the committed OpenAPI document: the status must be
 * documented for the operation, and the body must match that status's schema
 * (JSON Schema 2020-12, with @cfworker/json-schema: Ajv compiles validators to code,
 * which workerd refuses to run). A response that drifts from its schema fails the test.
 */
import { Validator, type Schema } from "@cfworker/json-schema";

type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  "x-roles"?: string[];
  responses: Record<string, { description: string; content?: Record<string, { schema?: Json }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  webhooks?: Record<string, Record<string, Operation & { requestBody?: { content: Record<string, { schema: Json }> } }>>;
  components?: { schemas?: Record<string, Json>; securitySchemes?: Record<string, Json> };
  tags?: { name: string }[];
}

/** What a test got: the helpers' `Call` shape. */
export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

export const METHODS = ["get", "put", "post", "delete", "patch"] as const;

export class Contract {
  private readonly routes: { template: string; pattern: RegExp; literal: boolean }[];
  private readonly validators = new Map<string, Validator>();

  constructor(readonly doc: OpenApiDocument) {
    // Literal paths first, so `/federation/membership` never reads as a template's value.
    this.routes = Object.keys(doc.paths)
      .map((template) => ({
        template,
        literal: !template.includes("{"),
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`),
      }))
      .sort((a, b) => Number(b.literal) - Number(a.literal));
  }

  /** The documented operation a request reaches, or null for a path or method the document does not have. */
  operation(method: string, path: string): { template: string; op: Operation } | null {
    const pathname = new URL(path, "https://x").pathname;
    const route = this.routes.find((r) => r.pattern.test(pathname));
    const op = route ? this.doc.paths[route.template][method.toLowerCase()] : undefined;
    return route && op ? { template: route.template, op } : null;
  }

  /** `$ref`s replaced by what they name (the document's schemas are not recursive). */
  resolve(schema: unknown, depth = 0): unknown {
    if (depth > 32) throw new Error("schema nesting too deep (a recursive $ref?)");
    if (Array.isArray(schema)) return schema.map((s) => this.resolve(s, depth + 1));
    if (schema === null || typeof schema !== "object") return schema;
    const ref = (schema as Json).$ref;
    if (typeof ref === "string") {
      const name = ref.replace(/^#\/components\/schemas\//, "");
      const target = this.doc.components?.schemas?.[name];
      if (!target) throw new Error(`unresolved $ref ${ref}`);
      return this.resolve(target, depth + 1);
    }
    return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, this.resolve(v, depth + 1)]));
  }

  /** Problems with a value against a schema of the document; none when it conforms. */
  problems(schema: Json, value: unknown, key: string): string[] {
    let validator = this.validators.get(key);
    if (!validator) {
      validator = new Validator(this.resolve(schema) as Schema, "2020-12", false);
      this.validators.set(key, validator);
    }
    const result = validator.validate(value);
    return result.valid ? [] : result.errors.map((e) => `${e.instanceLocation} ${e.keyword}: ${e.error}`);
  }

  /** Why an answer does not conform to the document (a route it does not have included); empty when it does. */
  check(method: string, path: string, answer: Answer): string[] {
    const found = this.operation(method, path);
    if (!found) return [`${method.toUpperCase()} ${path.split("?")[0]}: not in the document`];
    const where = `${method.toUpperCase()} ${found.template} ${answer.status}`;
    const response = found.op.responses[String(answer.status)];
    if (!response) return [`${where}: status not documented (documented: ${Object.keys(found.op.responses).join(", ")})`];
    const type = (answer.headers.get("content-type") ?? "").split(";")[0].trim();
    if (!response.content) return answer.body === null || answer.body === "" ? [] : [`${where}: documented without a body, but one came`];
    const media = response.content[type];
    if (!media) return [`${where}: content-type ${type || "(none)"} not documented (documented: ${Object.keys(response.content).join(", ")})`];
    if (type !== "application/json" || !media.schema) return [];
    return this.problems(media.schema, answer.body, where).map((p) => `${where}: ${p}`);
  }

  /** Throws, naming every difference, when an answer does not conform. */
  assert(method: string, path: string, answer: Answer): void {
    const problems = this.check(method, path, answer);
    if (problems.length > 0) {
      throw new Error(`the answer drifts from the OpenAPI document:\n${problems.join("\n")}\nbody: ${JSON.stringify(answer.body)?.slice(0, 2000)}`);
    }
  }

  /** Every documented operation, for walking the whole document. */
  *operations(): Generator<{ method: string; template: string; op: Operation }> {
    for (const [template, ops] of Object.entries(this.doc.paths)) {
      for (const method of METHODS) if (ops[method]) yield { method, template, op: ops[method] };
    }
  }
}

/**
 * What every operation of a document must say, as a list of what is missing: an
 * operationId (unique, camelCase), tags the document lists, who may call it
 * (security and x-roles), and a schema for every answer with a body.
 */
export function incompleteness(doc: OpenApiDocument): string[] {
  const missing: string[] = [];
  const contract = new Contract(doc);
  const tags = new Set((doc.tags ?? []).map((t) => t.name));
  const schemes = new Set(Object.keys(doc.components?.securitySchemes ?? {}));
  const ids = new Map<string, string>();
  for (const { method, template, op } of contract.operations()) {
    const at = `${method.toUpperCase()} ${template}`;
    if (!op.operationId || !/^[a-z][A-Za-z0-9]*$/.test(op.operationId)) missing.push(`${at}: operationId (camelCase)`);
    else if (ids.has(op.operationId)) missing.push(`${at}: operationId ${op.operationId} repeats ${ids.get(op.operationId)}`);
    else ids.set(op.operationId, at);
    if (!op.tags?.length || op.tags.some((t) => !tags.has(t))) missing.push(`${at}: tags among the document's (${op.tags?.join(", ")})`);
    if (!Array.isArray(op.security)) missing.push(`${at}: security`);
    for (const requirement of op.security ?? []) {
      for (const scheme of Object.keys(requirement)) if (!schemes.has(scheme)) missing.push(`${at}: security scheme ${scheme} is not in components`);
    }
    if (!Array.isArray(op["x-roles"]) || op["x-roles"].length === 0) missing.push(`${at}: x-roles`);
    for (const [status, response] of Object.entries(op.responses)) {
      if (["204", "304"].includes(status)) continue;
      const schemas = Object.values(response.content ?? {}).map((m) => m.schema);
      if (schemas.length === 0 || schemas.some((s) => !s || Object.keys(s).length === 0)) missing.push(`${at} ${status}: a response schema`);
    }
  }
  return missing;
}
