/**
 * Which of a site's agents takes a callback when the cloud names none: the order the
 * cloud's scheduler would give them (scheduling/score.ts: the agent's terms of the
 * score, under the provider's weights), so "best agent" means one thing across the
 * mesh. Without what the cloud weighs, the strongest in the skill. Ties go to the id.
 */
import { agentFit } from "../callback-cloud/scheduling/score.ts";
import { resolveWeights } from "../callback-cloud/scheduling/weights.ts";
import type { ReservationInput, Resource } from "./model.ts";

export function rankForChoice(candidates: readonly Resource[], skill: string, choose: ReservationInput["choose"]): Resource[] {
  const byId = (a: Resource, b: Resource) => a.id.localeCompare(b.id);
  if (!choose) return [...candidates].sort((a, b) => (b.skills[skill] ?? 0) - (a.skills[skill] ?? 0) || byId(a, b));
  const weights = resolveWeights(choose.weights);
  const choice = { skill, level: choose.level, language: choose.language, previousAgent: choose.previousAgent };
  const fit = new Map(candidates.map((r) => [r.id, agentFit(choice, r, weights)]));
  return [...candidates].sort((a, b) => (fit.get(b.id) ?? 0) - (fit.get(a.id) ?? 0) || byId(a, b));
}
