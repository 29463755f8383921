/**
 * Optimal assignment: each row (callback) gets at most one column (agent), each column
 * at most one row, and the total value is the largest possible. Solved exactly by the
 * Hungarian algorithm of the `munkres` package (maintained, typed, rectangular, no
 * dependencies, 16 kB: fits a Worker).
 */
import { munkres } from "munkres";

/**
 * The column of each row (-1: none), maximising the sum of `values[r][c]` over the pairs.
 * A value of -Infinity forbids the pair; values are otherwise non-negative. Every row also
 * has a "none" column of value 0, so a row is left out only when that serves the total.
 */
export function maxAssignment(values: readonly ArrayLike<number>[], columns: number): number[] {
  const rows = values.length;
  if (rows === 0) return [];
  let max = 0;
  for (const row of values) for (let c = 0; c < columns; c++) if (row[c] > max) max = row[c];
  // Larger than any assignment of real pairs could cost, so a forbidden pair is never chosen.
  const forbidden = (rows + 1) * (max + 1) * 4;
  const cost = values.map((row) => {
    const out = new Float64Array(columns + rows);
    for (let c = 0; c < columns; c++) out[c] = row[c] === Number.NEGATIVE_INFINITY ? forbidden : max - row[c];
    out.fill(max, columns);
    return out;
  });
  const chosen = new Array<number>(rows).fill(-1);
  for (const [r, c] of munkres(cost)) if (c < columns && values[r][c] !== Number.NEGATIVE_INFINITY) chosen[r] = c;
  return chosen;
}

export interface Option<T> {
  item: T;
  startMs: number;
  score: number;
}

/**
 * The `n` best options by score (ties: earlier start, then `tie` ascending), best first,
 * kept in a small sorted array: most options lose to the n-th at once.
 */
export class TopN<T> {
  readonly items: Option<T>[] = [];
  readonly n: number;
  readonly tie: (item: T) => number;

  constructor(n: number, tie: (item: T) => number) {
    this.n = n;
    this.tie = tie;
  }

  private better(a: Option<T>, b: Option<T>): boolean {
    return a.score > b.score || (a.score === b.score && (a.startMs < b.startMs || (a.startMs === b.startMs && this.tie(a.item) < this.tie(b.item))));
  }

  add(o: Option<T>): void {
    const items = this.items;
    if (this.n <= 0) return;
    if (items.length >= this.n) {
      if (!this.better(o, items[items.length - 1])) return;
      items.pop();
    }
    let i = items.length;
    while (i > 0 && this.better(o, items[i - 1])) i--;
    items.splice(i, 0, o);
  }
}
