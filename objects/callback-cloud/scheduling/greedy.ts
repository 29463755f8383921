/**
 * The baseline the joint plan is measured against: first come, first served. Each
 * callback in turn takes its best-scoring free agent, on timelines holding what the
 * callbacks before it took. Same candidates, starts and scores as the plan; no
 * alternatives.
 */
import type { MeshMember } from "../../../federation/runtime/mesh-view.ts";
import { candidatesFor, earliestOutside, meshOf } from "./candidates.ts";
import { without } from "./intervals.ts";
import { optionsOf } from "./plan.ts";
import type { CallbackNeed, PlanResult, SchedulingContext } from "./types.ts";

export function planGreedy(needs: readonly CallbackNeed[], members: readonly MeshMember[], ctx: SchedulingContext): PlanResult {
  const mesh = meshOf(members, ctx, needs);
  const result: PlanResult = { placements: [], alternatives: new Map(), unplaced: [] };
  needs.forEach((need, seq) => {
    const cands = candidatesFor(mesh, need);
    const [best] = optionsOf({ need, cands, next: 0, seq }, ctx, 1);
    if (!best) {
      result.unplaced.push(
        cands.length === 0
          ? { callbackId: need.id, reason: "no_qualified_agent", earliestOutsideMs: null }
          : { callbackId: need.id, reason: "no_agent_free_in_window", earliestOutsideMs: earliestOutside(need, cands, ctx) },
      );
      return;
    }
    const a = best.item;
    a.free = without(a.free, best.startMs, best.startMs + ctx.slotMs);
    a.site.placed += 1;
    result.placements.push({ callbackId: need.id, siteId: a.site.siteId, agentId: a.agent.ref, startMs: best.startMs, score: best.score });
  });
  return result;
}
