/**
 * A budget of cost per sliding window: a request passes when the costs of the
 * requests the window let through in the last `periodMs`, and its own, come to at
 * most `max`. The window keeps each one it let through (time and cost) in order, so
 * a check is exact, and the wait it answers is to the moment enough of the oldest
 * have left for the request to fit. A refused request counts for nothing.
 */

export interface CostBudget {
  /** What the budget is for, as the caller names it ("graphql"). */
  name: string;
  /** Cost allowed per window. */
  max: number;
  periodMs: number;
}

export type Spending =
  | { ok: true; left: number }
  | { ok: false; name: string; max: number; periodMs: number; cost: number; retryAfterMs: number };

export class CostWindow {
  private times: number[] = [];
  private costs: number[] = [];
  /** The oldest entry still in the window. */
  private head = 0;
  private total = 0;

  /** Spends `cost` (at most the whole budget: more could never fit) when the window has room for it. */
  spend(cost: number, budget: CostBudget, nowMs: number): Spending {
    const c = Math.max(0, Math.min(cost, budget.max));
    this.expire(nowMs - budget.periodMs);
    if (this.total + c <= budget.max) {
      if (c > 0) {
        this.times.push(nowMs);
        this.costs.push(c);
        this.total += c;
      }
      return { ok: true, left: budget.max - this.total };
    }
    // The entries that must leave first: the oldest, until what is left and this one fit.
    let over = this.total + c - budget.max;
    let i = this.head;
    while (over > 0) over -= this.costs[i++];
    return { ok: false, name: budget.name, max: budget.max, periodMs: budget.periodMs, cost: c, retryAfterMs: this.times[i - 1] + budget.periodMs - nowMs };
  }

  /** What the window holds now (for tests and reports). */
  spent(nowMs: number, periodMs: number): number {
    this.expire(nowMs - periodMs);
    return this.total;
  }

  /** Drops what was let through at or before `before`. */
  private expire(before: number): void {
    while (this.head < this.times.length && this.times[this.head] <= before) {
      this.total -= this.costs[this.head];
      this.head++;
    }
    // Compacted now and then, not on every call: the arrays only ever lose their front.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.costs = this.costs.slice(this.head);
      this.head = 0;
    }
  }
}
