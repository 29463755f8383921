/**
 * Cost budgets of one caller (a GraphQL principal: workers/shared/graphql/budget.ts),
 * one object per caller, so every isolate and location that serves the caller counts
 * in one place. Callers are few (each is a token an admin issued, or the edge), so an
 * object each costs nothing worth sharing, and no caller's spending can push another's
 * out of memory. The windows live in memory: an object that is evicted forgets at most
 * one window's spending, which a rate limit may lose; nothing is stored.
 */
import { DurableObject } from "cloudflare:workers";
import { systemClock, type Clock } from "../shared/clock.ts";
import { CostWindow, type CostBudget, type Spending } from "./cost-windows.ts";

export type { CostBudget, Spending } from "./cost-windows.ts";

export class CostLimiter extends DurableObject {
  /** The time windows are counted in; tests give it a ManualClock. */
  clock: Clock = systemClock;
  private readonly windows = new Map<string, CostWindow>();

  /** Spends `cost` of the budget when its window has room (see cost-windows.ts). */
  async spend(cost: number, budget: CostBudget): Promise<Spending> {
    let window = this.windows.get(budget.name);
    if (!window) {
      window = new CostWindow();
      this.windows.set(budget.name, window);
    }
    return window.spend(cost, budget, this.clock.now());
  }
}
