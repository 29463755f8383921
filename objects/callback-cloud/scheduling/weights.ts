/**
 * The scheduler's weights: explicit, documented, and set per provider at registration.
 *
 * A placement's score is `priorityFactor × (1 + Σ wₖ·termₖ / Σ wₖ)`, every term in [0, 1]:
 * - `skill` — fit against the intent's required level: meeting it scores 0.6, each level
 *   above adds up to 1.0 at level 5; below it scores under 0.3 (allowed, but any agent who
 *   meets the level is ahead on this term). A missing skill disqualifies, whatever the weights.
 * - `availability` — when inside the window: for asap callbacks the term halves every
 *   ASAP_HALF_LIFE_MS of waiting past `earliestMs` (a fixed scale, so waits weigh the same
 *   whatever the window's length); for a timed window any start is fine, earlier by a little
 *   (1 at the window's start down to 0.75 at its end).
 * - `language` — 1 when the agent speaks the customer's language (or none was asked), else 0.
 * - `previousAgent` — 1 for the agent the customer spoke to last, when known.
 * - `freshness` — the age of the site's digest against its time to live: 1 fresh, 0 at the
 *   ttl. Only `up` sites are planned on; `stale` and `down` ones disqualify.
 * - `load` — 1 / (1 + callbacks held per agent at the site), counting what the plan itself has
 *   placed there: spreads callbacks over the mesh.
 * - `cost` — the provider's cost tier of the site: 1 at tier 0 (cheapest) down to 0 at tier 3.
 * - `keep` — 1 for the agent a callback already holds, in a re-plan: a move costs a reservation
 *   and a release, so it must gain more than this.
 * - `priority` — not a term but how much urgency multiplies the score: the factor is
 *   1 + (priority/100)·(5 − p)/4, so at 100 a priority-1 callback's placement counts twice a
 *   priority-5 one's, and wins a scarce agent unless the other fits far better.
 * The constant 1 is what serving a callback at all is worth: two placements always outweigh
 * one better fit, so the assignment never leaves a callback waiting to polish another's.
 * The defaults of the terms add up to 100, so each reads as a share of the fit.
 */
import { z } from "zod";

export interface Weights {
  skill: number;
  availability: number;
  language: number;
  previousAgent: number;
  freshness: number;
  load: number;
  cost: number;
  keep: number;
  priority: number;
}

export const DEFAULT_WEIGHTS: Readonly<Weights> = Object.freeze({
  skill: 40,
  availability: 25,
  language: 10,
  previousAgent: 5,
  freshness: 5,
  load: 5,
  cost: 5,
  keep: 5,
  priority: 100,
});

/** How long an asap callback waits before its availability term has halved. */
export const ASAP_HALF_LIFE_MS = 30 * 60_000;

const weight = z.number().min(0).max(100);

/** What a provider may override at registration: any of the weights, each 0..100. */
export const weightsSchema = z.strictObject({
  skill: weight.optional(),
  availability: weight.optional(),
  language: weight.optional(),
  previousAgent: weight.optional(),
  freshness: weight.optional(),
  load: weight.optional(),
  cost: weight.optional(),
  keep: weight.optional(),
  priority: weight.optional(),
});
export type WeightsOverride = z.infer<typeof weightsSchema>;

/** The defaults with a provider's override laid over them. */
export function resolveWeights(override?: WeightsOverride | null): Weights {
  const out: Weights = { ...DEFAULT_WEIGHTS };
  if (!override) return out;
  for (const key of Object.keys(out) as (keyof Weights)[]) {
    const v = override[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}
