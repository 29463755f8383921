/**
 * How the gateway asks a member: one client per member, over the transport the
 * callback cloud already uses to reach sites (a service binding, SITE_URLS), or the
 * member's registered subgraph URL. It authenticates with a token the edge signed
 * for that member alone, which names the viewer it asks for, so each site draws its
 * own boundary. A site that does not
 * answer by the request's deadline is answered for with an error naming it, and is
 * not waited for again in the same request.
 *
 * The transport is a plain POST of `{query, variables, operationName}` and one
 * JSON answer: all the gateway ever sends (queries, no uploads, no incremental
 * delivery). executor-http did the same with much more around it (a printed and
 * whitespace-stripped copy of every document, upload detection, stream handling):
 * about a tenth of the edge's GraphQL CPU, for nothing used here.
 */
import type { ExecutionRequest, ExecutionResult, Executor } from "@graphql-tools/utils";
import { GraphQLError, print, type DocumentNode } from "graphql";
import type { Viewer } from "../../wire/viewer.ts";
import { siteRoute, type SiteRoute, type SiteTransportEnv } from "../site-client.ts";
import type { GatewayContext, SiteCalls } from "./context.ts";
import type { GatewayMember } from "./members.ts";

/**
 * Whom the gateway asks a member for. Its own staff see an enterprise site whole,
 * but a partner's site only as the federation does: a partner's boundary holds
 * for everyone outside it. A partner is asked for as itself.
 */
export function viewerFor(member: GatewayMember, viewer: Viewer): Viewer {
  if (viewer.kind === "staff" && member.trust === "partner") return { kind: "mesh" };
  return viewer;
}

/** How to reach a member's subgraph: the site transport first, else the URL it registered. */
export function subgraphRoute(env: SiteTransportEnv, member: GatewayMember): { endpoint: string; fetch: SiteRoute["fetch"] } | null {
  const route = siteRoute(env, member.siteId);
  if (route) return { endpoint: `${route.base}/graphql`, fetch: route.fetch };
  if (member.subgraphUrl) return { endpoint: member.subgraphUrl, fetch: (url, init) => fetch(url, init) };
  return null;
}

export function unreachable(siteId: string, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "site_unreachable", siteId, ...extra } });
}

/** A GraphQL request as it goes on the wire. */
export interface MemberRequest {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

export interface MemberClient {
  siteId: string;
  /** Sends one request, within the deadline of the gateway request whose context is given. */
  send(request: MemberRequest, ctx: Partial<GatewayContext> | undefined): Promise<ExecutionResult>;
}

const ACCEPT = "application/graphql-response+json, application/json;q=0.9";

/** An answer that is no GraphQL result (a 5xx page, the API's error shape for refused credentials): an error without a path. */
function notGraphQL(status: number, code: string): ExecutionResult {
  return { errors: [new GraphQLError(`the subgraph answered ${status} without a GraphQL result`, { extensions: { code } })] };
}

async function readResult(res: Response): Promise<ExecutionResult> {
  let body: unknown;
  try {
    // Parsed from the bytes: no string of the whole answer is made first.
    body = await res.json();
  } catch {
    return notGraphQL(res.status, "RESPONSE_VALIDATION_FAILED");
  }
  const result = body as ExecutionResult | null;
  if (!result || typeof result !== "object" || (result.data == null && !result.errors?.length)) return notGraphQL(res.status, "RESPONSE_VALIDATION_FAILED");
  return result;
}

export function memberClient(env: SiteTransportEnv, member: GatewayMember, now: () => number = Date.now): MemberClient {
  const { siteId } = member;
  const route = subgraphRoute(env, member);
  if (!route) {
    const error = unreachable(siteId, `no route to site ${siteId}: no service binding, SITE_URLS entry or subgraph URL`);
    return { siteId, send: async () => ({ errors: [error] }) };
  }
  // One controller per request and site: the deadline aborts what is still on the wire.
  const aborts = new WeakMap<SiteCalls, AbortController>();
  const post = async (request: MemberRequest, ctx: Partial<GatewayContext> | undefined, signal?: AbortSignal): Promise<ExecutionResult> => {
    const token = ctx?.siteTokens?.get(siteId);
    if (!token) return { errors: [unreachable(siteId, "the edge has no membership key (EDGE_MEMBERSHIP_KEY) to sign its calls with")] };
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, "content-type": "application/json", accept: ACCEPT };
    const res = await route.fetch(route.endpoint, { method: "POST", headers, body: JSON.stringify(request), ...(signal ? { signal } : {}) });
    return readResult(res);
  };

  const send = async (request: MemberRequest, ctx: Partial<GatewayContext> | undefined): Promise<ExecutionResult> => {
    const calls = ctx?.siteCalls;
    if (!calls) return post(request, ctx);
    const known = calls.dead.get(siteId);
    if (known) return { errors: [known] };
    const controller = aborts.get(calls) ?? new AbortController();
    aborts.set(calls, controller);
    const deadline = awaitDeadline(calls, now);
    const started = now();
    const stat = calls.stats.get(siteId) ?? { requests: 0, ms: 0 };
    calls.stats.set(siteId, stat);
    stat.requests++;
    try {
      const pending = post(request, ctx, controller.signal);
      // Abandoned at the deadline: whatever it does after must not surface as an unhandled rejection.
      pending.catch(() => {});
      const answer = await Promise.race([pending, deadline.passed]);
      if (answer === "timeout") {
        const error = unreachable(siteId, `site ${siteId} did not answer within ${calls.timeoutMs} ms`, { timeoutMs: calls.timeoutMs });
        calls.dead.set(siteId, error);
        controller.abort();
        return { errors: [error] };
      }
      return tagged(siteId, answer, calls);
    } catch {
      const error = unreachable(siteId, `site ${siteId} could not be reached`);
      calls.dead.set(siteId, error);
      return { errors: [error] };
    } finally {
      deadline.release();
      stat.ms += now() - started;
    }
  };
  return { siteId, send };
}

/**
 * One timer per gateway request for the calls in flight, however many members they
 * go to (a Worker's timer costs more than the rest of a call's bookkeeping); cleared
 * when the last of them is answered, made again for a later call.
 */
const deadlines = new WeakMap<SiteCalls, { passed: Promise<"timeout">; timer: ReturnType<typeof setTimeout>; inFlight: number }>();
function awaitDeadline(calls: SiteCalls, now: () => number): { passed: Promise<"timeout">; release: () => void } {
  let deadline = deadlines.get(calls);
  if (!deadline) {
    let timer!: ReturnType<typeof setTimeout>;
    const passed = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, calls.deadlineMs - now()));
    });
    deadline = { passed, timer, inFlight: 0 };
    deadlines.set(calls, deadline);
  }
  const kept = deadline;
  kept.inFlight++;
  return {
    passed: kept.passed,
    release: () => {
      if (--kept.inFlight > 0) return;
      clearTimeout(kept.timer);
      if (deadlines.get(calls) === kept) deadlines.delete(calls);
    },
  };
}

/** Each document is printed once: stitching hands the same document object to a member again when it can. */
const printed = new WeakMap<DocumentNode, string>();
function printOnce(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

/** The member as a stitching executor. */
export function memberExecutor(client: MemberClient): Executor {
  return (request: ExecutionRequest) =>
    client.send(
      { query: printOnce(request.document), variables: request.variables, operationName: request.operationName },
      request.context as Partial<GatewayContext> | undefined,
    );
}

/**
 * Every error a site answered names the site and keeps only the API's extensions
 * (code, details): what the transport adds stays here. An answer with neither data
 * nor a path in its errors (connection refused, 5xx, a refusal of the gateway's
 * credentials) means the site is down for the rest of this request: one
 * `site_unreachable` error, without the transport's words (they hold internal
 * addresses).
 */
function tagged(siteId: string, result: ExecutionResult, calls: SiteCalls): ExecutionResult {
  if (!result.errors?.length) return result;
  if (!result.data && result.errors.every((e) => !e.path)) {
    const cause = result.errors[0]?.extensions?.code;
    const error = unreachable(siteId, `site ${siteId} could not be reached`, typeof cause === "string" ? { cause } : {});
    calls.dead.set(siteId, error);
    return { errors: [error] };
  }
  const errors = result.errors.map(
    (e) =>
      new GraphQLError(e.message, {
        path: e.path,
        extensions: {
          code: (e.extensions?.code as string | undefined) ?? "site_error",
          ...(e.extensions?.details === undefined ? {} : { details: e.extensions.details }),
          siteId,
        },
      }),
  );
  return { ...result, errors };
}
