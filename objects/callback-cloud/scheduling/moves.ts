/**
 * What a re-plan changes: the callbacks that held an agent and now go to another (or
 * to none), in an order in which reserving the new agent before releasing the old one
 * never collides with a hold that is about to be released.
 */
import type { AgentRef, CallbackNeed, Placement, PlanResult } from "./types.ts";

export interface Move {
  callbackId: string;
  from: AgentRef & { startMs: number };
  /** Null: the plan has no place for it any more (the caller decides whether to keep its hold). */
  to: Placement | null;
  /**
   * Release the old hold before reserving the new one: moves that wait on each other in a
   * circle (A takes B's agent while B takes A's) cannot all reserve first.
   */
  releaseFirst: boolean;
}

/**
 * Every need that held an agent (`current`) and is placed on another one or not at all, in
 * a safe order: a move onto an agent whose slot another move vacates comes after that move.
 * Spans overlap when their starts are less than `slotMs` apart (any start on the same agent,
 * when not given).
 */
export function movesBetween(needs: readonly CallbackNeed[], result: PlanResult, slotMs = Number.POSITIVE_INFINITY): Move[] {
  const placement = new Map(result.placements.map((p) => [p.callbackId, p]));
  const moves: Move[] = [];
  for (const need of needs) {
    const from = need.current;
    if (!from) continue;
    const to = placement.get(need.id) ?? null;
    if (to && to.siteId === from.siteId && to.agentId === from.agentId && to.startMs === from.startMs) continue;
    moves.push({ callbackId: need.id, from: { siteId: from.siteId, agentId: from.agentId, startMs: from.startMs }, to, releaseFirst: false });
  }
  const collides = (to: Placement | null, from: Move["from"]) =>
    to !== null && to.siteId === from.siteId && to.agentId === from.agentId && Math.abs(to.startMs - from.startMs) < slotMs;
  // waitsFor[i]: the moves whose old hold move i's new placement collides with.
  const waitsFor = moves.map((m, i) => new Set(moves.flatMap((o, j) => (j !== i && collides(m.to, o.from) ? [j] : []))));
  const ordered: Move[] = [];
  const done = new Set<number>();
  while (done.size < moves.length) {
    const ready = moves.findIndex((_, i) => !done.has(i) && [...waitsFor[i]].every((j) => done.has(j)));
    // A circle: the first move left releases before it reserves, which unblocks the others.
    const i = ready >= 0 ? ready : moves.findIndex((_, k) => !done.has(k));
    const m = moves[i];
    if (ready < 0 || collides(m.to, m.from)) m.releaseFirst = true;
    done.add(i);
    ordered.push(m);
  }
  return ordered;
}
