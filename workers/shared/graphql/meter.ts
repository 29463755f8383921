/**
 * Spending a request's cost from its caller's budget (budget.ts), through the caller's
 * CostLimiter object; a refusal is the API's 429 (`ApiError.of` adds Retry-After).
 */
import type { Spending } from "../../../objects/rate-limiter/cost-limiter.ts";
import { ApiError } from "../errors.ts";
import { budgetOf, type BudgetEnv } from "./budget.ts";

/** What the GraphQL server spends a request's cost through (server.ts reads it from the context). */
export interface Meter {
  /** Spends `cost` of the caller's budget; the refusal when it does not fit (also kept in `refusal`). */
  spend(cost: number): Promise<ApiError | null>;
  /** The refusal of this request, answered in place of yoga's answer. */
  refusal: ApiError | null;
}

/** A meter on the budget of `caller`, counted by the caller's own CostLimiter object. */
export function meterFor(env: BudgetEnv, caller: string): Meter {
  const budget = budgetOf(env, caller);
  const meter: Meter = {
    refusal: null,
    async spend(cost) {
      const spending = await env.GRAPHQL_BUDGETS.getByName(caller).spend(cost, budget);
      meter.refusal = spending.ok ? null : tooCostly(spending);
      return meter.refusal;
    },
  };
  return meter;
}

function tooCostly(s: Exclude<Spending, { ok: true }>): ApiError {
  const wait = Math.max(1, Math.ceil(s.retryAfterMs / 1000));
  return ApiError.of({
    status: 429,
    code: "rate_limited",
    message: `too much GraphQL for one caller: this operation costs ${s.cost} of ${s.max} per ${s.periodMs / 1000} s; try again in ${wait} s`,
    details: { limit: s.name, max: s.max, periodSeconds: s.periodMs / 1000, cost: s.cost, retryAfterSeconds: wait },
  });
}
