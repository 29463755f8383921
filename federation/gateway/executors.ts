/**
 * One executor per member: @graphql-tools/executor-http over the transport the
 * callback cloud already uses to reach sites (a service binding, SITE_URLS), or
 * the member's registered subgraph URL. It authenticates as the cloud and names
 * the viewer it asks for, so each site draws its own boundary. A site that does
 * not answer by the request's deadline is answered for with an error naming it,
 * and is not waited for again in the same request.
 */
import { buildHTTPExecutor } from "@graphql-tools/executor-http";
import type { ExecutionRequest, ExecutionResult, Executor } from "@graphql-tools/utils";
import { GraphQLError } from "graphql";
import { VIEWER_HEADER, type Viewer } from "../../workers/shared/graphql/viewer.ts";
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

const siteCallsOf = (request: ExecutionRequest): SiteCalls | undefined => (request.context as Partial<GatewayContext> | undefined)?.siteCalls;

export function memberExecutor(env: SiteTransportEnv & { CLOUD_SECRET: string }, member: GatewayMember, now: () => number = Date.now): Executor {
  const { siteId } = member;
  const route = subgraphRoute(env, member);
  if (!route) {
    const error = unreachable(siteId, `no route to site ${siteId}: no service binding, SITE_URLS entry or subgraph URL`);
    return () => ({ errors: [error] });
  }
  // One controller per request and site: the deadline aborts what is still on the wire.
  const aborts = new WeakMap<SiteCalls, AbortController>();
  const http = buildHTTPExecutor({
    endpoint: route.endpoint,
    fetch: (url: string, init?: RequestInit, context?: unknown) => {
      const calls = (context as Partial<GatewayContext> | undefined)?.siteCalls;
      const signal = calls ? aborts.get(calls)?.signal : undefined;
      return route.fetch(url, { ...init, ...(signal ? { signal } : {}) });
    },
    headers: (request) => {
      const token = (request?.context as Partial<GatewayContext> | undefined)?.viewerTokens?.get(siteId);
      return { authorization: `Bearer ${env.CLOUD_SECRET}`, ...(token ? { [VIEWER_HEADER]: token } : {}) };
    },
    // Identical sub-requests of one query are already merged by the batching executor.
    deduplicateInflightRequests: false,
  });

  return async (request: ExecutionRequest): Promise<ExecutionResult> => {
    const calls = siteCallsOf(request);
    if (!calls) return (await http(request)) as ExecutionResult;
    const known = calls.dead.get(siteId);
    if (known) return { errors: [known] };
    const controller = aborts.get(calls) ?? new AbortController();
    aborts.set(calls, controller);
    const remaining = calls.deadlineMs - now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, remaining));
    });
    const started = now();
    const stat = calls.stats.get(siteId) ?? { requests: 0, ms: 0 };
    calls.stats.set(siteId, stat);
    stat.requests++;
    try {
      const pending = Promise.resolve(http(request)) as Promise<ExecutionResult>;
      // Abandoned at the deadline: whatever it does after must not surface as an unhandled rejection.
      pending.catch(() => {});
      const answer = await Promise.race([pending, timedOut]);
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
      clearTimeout(timer);
      stat.ms += now() - started;
    }
  };
}

/**
 * Every error a site answered names the site and keeps only the API's extensions
 * (code, details): what the transport adds (the request it sent) stays here. An
 * answer with neither data nor a path in its errors (connection refused, 5xx, a
 * refusal of the gateway's credentials) means the site is down for the rest of
 * this request: one `site_unreachable` error, without the transport's words (they
 * hold internal addresses).
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
