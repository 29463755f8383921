/**
 * Planning callbacks together across the mesh.
 *
 * Callbacks are taken in order of the earliest start any qualified agent offers them.
 * Those whose earliest start lies within one slot of the first waiting one form a batch:
 * they can collide on an agent, so they are assigned together, maximising the batch's
 * total score (assign.ts) rather than first come, first served. A row's options are its
 * qualified agents, each at the earliest start it offers inside the row's window (a later
 * start on the same agent never scores more). A batch gives an agent to one of its rows
 * at most: their earliest starts lie within a slot, so most would collide on it anyway.
 * A callback left without an agent in its batch goes back to the queue at its next
 * possible start, on timelines that now hold what was placed (it may still get the same
 * agent at another time); once nothing fits its window it is unplaced, with the earliest
 * start after the window that would fit. Site load counts what earlier batches placed:
 * inside one batch it is fixed, as an assignment needs its values known up front.
 *
 * Each row keeps only its n best options, n the rows in the batch. This keeps an optimum:
 * if a row's optimal agent were outside its n best, at most n − 1 of those are taken by the
 * other rows, so a free one at least as good could replace it.
 */
import type { MeshMember } from "../../../federation/runtime/mesh-view.ts";
import { maxAssignment, TopN, type Option } from "./assign.ts";
import { candidatesFor, earliestOutside, meshOf, startOn, type Mesh, type MeshAgent } from "./candidates.ts";
import { Heap } from "./heap.ts";
import { without } from "./intervals.ts";
import { scorerFor } from "./score.ts";
import type { CallbackNeed, Placement, PlanResult, SchedulingContext, Unplaced } from "./types.ts";

/** Alternatives kept per placed callback. */
export const MAX_ALTERNATIVES = 5;

/** What a plan tells about each batch it solved, for the benchmark. */
export interface BatchInfo {
  rows: number;
  /** Agents in the pruned problem. */
  columns: number;
  /** Total score the batch's assignment reached. */
  value: number;
  /** The optimum of the same batch with every option of every row (no pruning); call it inside onBatch. */
  exact(): number;
}

export interface PlanOptions {
  onBatch?: (batch: BatchInfo) => void;
}

export interface Row {
  need: CallbackNeed;
  cands: readonly MeshAgent[];
  next: number;
  /** Position in the input: ties go to the earlier. */
  seq: number;
}

export function planTogether(needs: readonly CallbackNeed[], members: readonly MeshMember[], ctx: SchedulingContext): PlanResult {
  return planWith(needs, members, ctx, {});
}

/** planTogether, with a look at each batch. */
export function planWith(
  needs: readonly CallbackNeed[],
  members: readonly MeshMember[],
  ctx: SchedulingContext,
  options: PlanOptions,
): PlanResult {
  const mesh = meshOf(members, ctx, needs);
  const placed: { row: Row; agent: MeshAgent; placement: Placement }[] = [];
  const left: Row[] = [];
  const unqualified: Unplaced[] = [];
  // Earlier next start first; at the same instant the more urgent, then the earlier asked.
  const queue = new Heap<Row>((a, b) => a.next < b.next || (a.next === b.next && (a.need.priority < b.need.priority || (a.need.priority === b.need.priority && a.seq < b.seq))));
  needs.forEach((need, seq) => {
    const cands = candidatesFor(mesh, need);
    if (cands.length === 0) {
      unqualified.push({ callbackId: need.id, reason: "no_qualified_agent", earliestOutsideMs: null });
      return;
    }
    const row: Row = { need, cands, next: 0, seq };
    requeue(row, queue, left, ctx);
  });

  while (queue.size > 0) {
    const head = queue.pop() as Row;
    const batch = [head];
    while (queue.size > 0 && (queue.peek() as Row).next < head.next + ctx.slotMs) batch.push(queue.pop() as Row);
    const tops = batch.map((row) => optionsOf(row, ctx, batch.length));
    const { columns, values } = problemOf(tops);
    const chosen = maxAssignment(values, columns.length);
    if (options.onBatch) {
      const value = chosen.reduce((sum, c, r) => sum + (c < 0 ? 0 : values[r][c]), 0);
      options.onBatch({ rows: batch.length, columns: columns.length, value, exact: () => exactValue(batch, ctx) });
    }
    batch.forEach((row, r) => {
      const c = chosen[r];
      if (c < 0) {
        requeue(row, queue, left, ctx);
        return;
      }
      const agent = columns[c];
      const option = tops[r].find((o) => o.item === agent) as Option<MeshAgent>;
      place(agent, option.startMs, ctx);
      placed.push({ row, agent, placement: placementOf(row.need, agent, option) });
    });
  }

  const alternatives = new Map<string, Placement[]>();
  for (const { row, agent } of placed) {
    alternatives.set(row.need.id, distinctAgents(row, ctx, MAX_ALTERNATIVES, agent));
  }
  const unplaced: Unplaced[] = [
    ...unqualified,
    ...left.map((row): Unplaced => ({
      callbackId: row.need.id,
      reason: "no_agent_free_in_window",
      earliestOutsideMs: earliestOutside(row.need, row.cands, ctx),
    })),
  ];
  const order = new Map(needs.map((n, i) => [n.id, i]));
  const byInput = (a: { callbackId: string }, b: { callbackId: string }) => (order.get(a.callbackId) ?? 0) - (order.get(b.callbackId) ?? 0);
  return {
    placements: placed.map((p) => p.placement).sort(byInput),
    alternatives,
    unplaced: unplaced.sort(byInput),
  };
}

/** The best placements of one callback on the mesh as it is, one per agent, best first. */
export function rankFor(need: CallbackNeed, members: readonly MeshMember[], ctx: SchedulingContext, limit = MAX_ALTERNATIVES): Placement[] {
  const mesh: Mesh = meshOf(members, ctx, [need]);
  const row: Row = { need, cands: candidatesFor(mesh, need), next: 0, seq: 0 };
  return distinctAgents(row, ctx, limit);
}

/** The row's `limit` best placements, one per agent (not per lane), never on `except`'s agent. */
function distinctAgents(row: Row, ctx: SchedulingContext, limit: number, except?: MeshAgent): Placement[] {
  const out: Placement[] = [];
  const seen = new Set<string>(except ? [`${except.site.siteId}\n${except.agent.ref}`] : []);
  // Enough options that `limit` distinct agents survive even when every one has many lanes (usually one).
  let lanes = 1;
  for (const a of row.cands) if (a.lane >= lanes) lanes = a.lane + 1;
  for (const o of optionsOf(row, ctx, (limit + (except ? 1 : 0)) * lanes)) {
    const key = `${o.item.site.siteId}\n${o.item.agent.ref}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(placementOf(row.need, o.item, o));
    if (out.length === limit) break;
  }
  return out;
}

/** The row's `n` best (agent lane, earliest start) options, skipping `except`. */
export function optionsOf(row: Row, ctx: SchedulingContext, n: number, except?: MeshAgent): Option<MeshAgent>[] {
  // Unbounded (the exact check): collect, then sort once.
  const all: Option<MeshAgent>[] = [];
  const top = Number.isFinite(n) ? new TopN<MeshAgent>(n, (a) => a.order) : null;
  const score = scorerFor(row.need, ctx.weights);
  for (const a of row.cands) {
    if (a === except) continue;
    const startMs = startOn(row.need, a, ctx);
    if (startMs === null) continue;
    const o = { item: a, startMs, score: score(a, startMs) };
    if (top) top.add(o);
    else all.push(o);
  }
  return top ? top.items : all.sort((a, b) => b.score - a.score || a.startMs - b.startMs || a.item.order - b.item.order);
}

/** The assignment problem of a batch: the agents any row may take, and each row's value on each. */
function problemOf(tops: readonly (readonly Option<MeshAgent>[])[]): { columns: MeshAgent[]; values: Float64Array[] } {
  const column = new Map<MeshAgent, number>();
  const columns: MeshAgent[] = [];
  for (const top of tops) {
    for (const o of top) {
      if (column.has(o.item)) continue;
      column.set(o.item, columns.length);
      columns.push(o.item);
    }
  }
  const values = tops.map((top) => {
    const row = new Float64Array(columns.length).fill(Number.NEGATIVE_INFINITY);
    for (const o of top) row[column.get(o.item) as number] = o.score;
    return row;
  });
  return { columns, values };
}

/** The batch's optimum over every option (no pruning), on the timelines as they are now. */
function exactValue(batch: readonly Row[], ctx: SchedulingContext): number {
  const tops = batch.map((row) => optionsOf(row, ctx, Number.POSITIVE_INFINITY));
  const { columns, values } = problemOf(tops);
  return maxAssignment(values, columns.length).reduce((sum, c, r) => sum + (c < 0 ? 0 : values[r][c]), 0);
}

/** Back in the queue at its next possible start, or left over when nothing fits its window any more. */
function requeue(row: Row, queue: Heap<Row>, left: Row[], ctx: SchedulingContext): void {
  let next: number | null = null;
  for (const a of row.cands) {
    const s = startOn(row.need, a, ctx);
    if (s !== null && (next === null || s < next)) next = s;
  }
  if (next === null) {
    left.push(row);
    return;
  }
  row.next = next;
  queue.push(row);
}

function place(agent: MeshAgent, startMs: number, ctx: SchedulingContext): void {
  agent.free = without(agent.free, startMs, startMs + ctx.slotMs);
  agent.site.placed += 1;
}

function placementOf(need: CallbackNeed, a: MeshAgent, o: { startMs: number; score: number }): Placement {
  return { callbackId: need.id, siteId: a.site.siteId, agentId: a.agent.ref, startMs: o.startMs, score: o.score };
}
