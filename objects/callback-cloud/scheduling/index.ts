/** The scheduler: pure functions from the mesh view and callback needs to placements. */
export { offerCapacity, type CapacityQuery } from "./capacity.ts";
export { movesBetween, type Move } from "./moves.ts";
export { MAX_ALTERNATIVES, planTogether, planWith, rankFor, type BatchInfo, type PlanOptions } from "./plan.ts";
export { refusalOf, replanRefused, wasRefused, withRefusals, type Refusal, type ReservationTry } from "./refusals.ts";
export type { AgentRef, CallbackNeed, Interval, Placement, PlanResult, SchedulingContext, Unplaced, UnplacedReason } from "./types.ts";
export { ASAP_HALF_LIFE_MS, DEFAULT_WEIGHTS, resolveWeights, weightsSchema, type Weights, type WeightsOverride } from "./weights.ts";
