/**
 * A cost budget per caller at every GraphQL endpoint: the estimated cost of the
 * operations a principal ran (limits.ts, measured with their variables when they
 * start) over a sliding minute, counted by a CostLimiter object per principal. An
 * operation that does not fit is not run: 429 `rate_limited` in the API's error
 * shape, with `Retry-After` and `details` { limit, max, periodSeconds, cost,
 * retryAfterSeconds }, as anonymous intake's limits answer (meter.ts). Pure: the bench
 * reads the same figures.
 *
 * Workers' own rate limiting binding (`ratelimits`) was not used: it counts calls,
 * not cost, in fixed 10 or 60 s windows of the wall clock per location, and says
 * nothing of when to come back.
 */
import { decodeJwt } from "jose";
import type { CostBudget, CostLimiter } from "../../../objects/rate-limiter/cost-limiter.ts";
import { DEFAULT_LIMITS } from "../../../federation/runtime/graphql/limits.ts";
import { encodeViewer } from "../../../federation/wire/viewer.ts";
import type { Principal } from "../auth.ts";

/** Bindings and settings of a Worker that serves GraphQL. */
export interface BudgetEnv {
  GRAPHQL_BUDGETS: DurableObjectNamespace<CostLimiter>;
  /** Cost a caller may spend per minute (default DEFAULT_COST_PER_MINUTE; never below one largest query, DEFAULT_LIMITS.maxCost). */
  GRAPHQL_COST_PER_MINUTE?: string;
}

/**
 * What a caller may spend per minute: four of the largest operations the limits allow
 * (25,000 each), or many more ordinary ones (a page of 20 agents with their skills costs
 * about 500). A site spent 2–3 µs of CPU per unit on the costliest operations allowed
 * (bench/abuse.ts, 100 agents), so a caller at this rate holds under half a percent of it.
 */
export const DEFAULT_COST_PER_MINUTE = 4 * DEFAULT_LIMITS.maxCost;
/**
 * At a site, the edge's gateway asks for many callers at once, each held to its own
 * budget at the edge: the site gives each viewer the edge names (staff, a partner, the
 * federation) this many callers' worth, so that no viewer can take another's share.
 */
export const EDGE_VIEWER_SHARE = 8;
const MINUTE_MS = 60_000;

/** Whose budget a request spends: the principal, by its subject where it has one. */
export function budgetKey(principal: Principal, authorization: string | undefined): string {
  switch (principal.role) {
    case "ops":
      // auth.ts keeps no subject for ops; the token it already verified names one.
      return `ops:${subjectOf(authorization) ?? ""}`;
    case "partner":
      return `partner:${principal.partnerId}`;
    case "agent":
      return `agent:${principal.agentId}`;
    case "cloud":
      return `cloud:${encodeViewer(principal.viewer ?? { kind: "mesh" })}`;
    default:
      return principal.role;
  }
}

function subjectOf(authorization: string | undefined): string | null {
  const token = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] : undefined;
  if (!token) return null;
  try {
    const sub = decodeJwt(token).sub;
    return typeof sub === "string" ? sub : null;
  } catch {
    return null;
  }
}

/** The budget of a caller at this Worker. */
export function budgetOf(env: BudgetEnv, caller: string): CostBudget {
  const given = Number(env.GRAPHQL_COST_PER_MINUTE);
  const perMinute = Math.max(DEFAULT_LIMITS.maxCost, env.GRAPHQL_COST_PER_MINUTE !== undefined && Number.isFinite(given) ? given : DEFAULT_COST_PER_MINUTE);
  return { name: "graphql", max: caller.startsWith("cloud:") ? perMinute * EDGE_VIEWER_SHARE : perMinute, periodMs: MINUTE_MS };
}
