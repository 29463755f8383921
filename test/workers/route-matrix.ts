/**
 * The role × route matrix both Workers' tests run (site/route-matrix.test.ts and
 * edge/route-matrix.test.ts): what each caller must get from each operation of the
 * `/openapi.json` a Worker serves, judged from the operation's own `x-roles` and security
 * requirement. The operations come from the document; the tests own two tables only, how to
 * be each caller and how to fill each path parameter, and anything the document names that
 * those tables do not know (a role, a security scheme, a path parameter) fails the test, so a
 * new route cannot escape the matrix.
 */
import { Contract, type OpenApiDocument } from "./contract-check.ts";
import type { Call } from "../http-call.ts";

/** One operation of a document: its method, path template and what the document says of it. */
export type Operation = ReturnType<Contract["operations"]> extends Generator<infer O> ? O : never;

/** Who calls, as the document names callers. */
export interface Caller {
  /** What failures call it. */
  name: string;
  /** The `x-roles` name it stands for (admin, ops, …, customer, provider); null for nobody (no or a bad credential). */
  role: string | null;
  /** The security scheme its credential belongs to (`bearer`, `verifier`, `signature`); null without one. */
  scheme: string | null;
  /** A bearer token the Worker never issued: refused (401) everywhere, on routes that need no token too. */
  forged?: boolean;
}

/** What a caller must get: let through (anything but 401/403, never a 5xx), or refused with this status and code. */
export type Expectation = { allowed: true } | { allowed: false; status: 401 | 403 | 404; code: string };

/**
 * How an operation answers a caller who lacks the credential of one of its security schemes.
 * A scheme the documents use and this table lacks fails the matrix.
 */
const WITHOUT: Record<string, { status: 401 | 404; code: string }> = {
  bearer: { status: 401, code: "unauthorized" },
  // A provider's signed report (x-mesh-signature).
  signature: { status: 401, code: "bad_signature" },
  // A carrier's signed status callback (X-Twilio-Signature).
  carrierSignature: { status: 401, code: "bad_signature" },
  // A customer's verifier: without it, a callback answers exactly as an unknown one does.
  verifier: { status: 404, code: "callback_not_found" },
};

/** The document's operations, each with where it is ("GET /v1/agents/{agentId} (getAgent)"). */
export function operationsOf(doc: OpenApiDocument): (Operation & { label: string })[] {
  return [...new Contract(doc).operations()].map((o) => ({ ...o, label: `${o.method.toUpperCase()} ${o.template} (${o.op.operationId})` }));
}

/**
 * Why the matrix cannot judge this operation with these callers (empty when it can): a role in
 * `x-roles` none of them is, a security scheme it does not know, or a security requirement that
 * says something else than `x-roles`.
 */
export function unknowns(operation: Operation, callers: readonly Caller[]): string[] {
  const { op } = operation;
  const roles = op["x-roles"] ?? [];
  const security = op.security ?? [];
  const known = new Set(callers.map((c) => c.role).filter((r) => r !== null));
  const schemes = new Set(Object.keys(WITHOUT));
  const problems: string[] = [];
  if (roles.length === 0) problems.push("it has no x-roles");
  for (const role of roles) {
    if (role !== "anyone" && !known.has(role)) problems.push(`x-roles names "${role}", and the matrix has no caller who is one (add it to the callers table)`);
    for (const caller of callers.filter((c) => c.role === role && c.scheme !== "bearer")) {
      if (security.length > 0 && !security.some((alternative) => caller.scheme! in alternative)) {
        problems.push(`x-roles names "${role}", whose credential (${caller.scheme}) its security does not take`);
      }
    }
  }
  for (const scheme of security.flatMap((alternative) => Object.keys(alternative))) {
    if (!schemes.has(scheme)) problems.push(`its security names the scheme "${scheme}", and the matrix does not know how it refuses a caller without it (WITHOUT)`);
  }
  if (security.length === 0 && !roles.every((r) => r === "anyone" || r === "customer")) {
    problems.push(`it needs no credential, yet x-roles is ${JSON.stringify(roles)} (open routes are for "anyone" or "customer")`);
  }
  const bearer = security.find((alternative) => alternative.bearer)?.bearer ?? [];
  const bearerCallers = new Set(callers.filter((c) => c.scheme === "bearer").map((c) => c.role));
  const bearerRoles = roles.filter((r) => bearerCallers.has(r));
  if ([...bearer].sort().join() !== [...bearerRoles].sort().join()) {
    problems.push(`its security lets bearer roles ${JSON.stringify(bearer)} in, and x-roles says ${JSON.stringify(bearerRoles)}`);
  }
  return problems;
}

/**
 * What a caller must get from an operation, by its `x-roles` and security:
 * - a forged token: 401 `unauthorized`, everywhere;
 * - an operation with no security requirement (open): let through, with or without a token;
 * - a caller whose role is in `x-roles`: let through;
 * - a token of another role, where the operation takes tokens: 403 `forbidden`;
 * - no credential the operation takes (no token, or a token where it takes none, as a provider's
 *   signed report): refused as its scheme refuses one without it (WITHOUT). Where a customer's
 *   verifier is an alternative to a token, the verifier's answer (404, as for an unknown
 *   callback) is the one: customers have no token, so a missing one tells them nothing.
 */
export function expectation(operation: Operation, caller: Caller): Expectation {
  const { op } = operation;
  const schemes = (op.security ?? []).flatMap((alternative) => Object.keys(alternative));
  if (caller.forged) return { allowed: false, ...WITHOUT.bearer };
  if (schemes.length === 0) return { allowed: true };
  if (caller.role !== null && (op["x-roles"] ?? []).includes(caller.role)) return { allowed: true };
  if (caller.scheme === "bearer" && schemes.includes("bearer")) return { allowed: false, status: 403, code: "forbidden" };
  return { allowed: false, ...WITHOUT[schemes.find((s) => s !== "bearer") ?? "bearer"] };
}

/** What is wrong with an answer to a caller, or null when it is what the operation's roles say. */
export function misjudged(operation: Operation & { label: string }, caller: Caller, answer: Call, contract: Contract): string | null {
  const expected = expectation(operation, caller);
  const got = `${answer.status} ${answer.text.slice(0, 300)}`;
  const at = `${operation.label} as ${caller.name}`;
  if (answer.status >= 500) return `${at}: a ${answer.status}, never right: ${got}`;
  const roles = `x-roles ${JSON.stringify(operation.op["x-roles"])}, security ${JSON.stringify(operation.op.security)}`;
  if (expected.allowed) return answer.status === 401 || answer.status === 403 ? `${at}: let through by its ${roles}, yet refused: ${got}` : null;
  const want = `${expected.status} ${expected.code}`;
  if (answer.status !== expected.status || answer.body?.error?.code !== expected.code) return `${at}: expected ${want} (${roles}), got ${got}`;
  // A refusal the document does not list is a contract a client cannot read.
  if (!(String(answer.status) in operation.op.responses)) return `${at}: answered ${answer.status}, which the document does not list for it`;
  const shape = contract.problems(contract.doc.components!.schemas!.Error, answer.body, "Error");
  return shape.length > 0 ? `${at}: the ${want} is not in the error shape { error: { code, message, details } }: ${shape.join("; ")}` : null;
}

/** The operation's path with each parameter filled from the table; an unknown parameter fails, naming it. */
export function fillPath(operation: Operation & { label: string }, fillers: Record<string, string>): string {
  return operation.template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = fillers[name];
    if (value === undefined) {
      throw new Error(`${operation.label}: the matrix has no value for the path parameter {${name}}: add it to the path parameters table`);
    }
    return encodeURIComponent(value);
  });
}
