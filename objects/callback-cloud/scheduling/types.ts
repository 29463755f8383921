/**
 * The scheduler's vocabulary: what a callback needs, what the plan knows about the
 * provider, and what it answers. Plain data, so every decision is a pure function.
 */
import type { Weights } from "./weights.ts";

/** [startMs, endMs): when an agent can take one more callback. */
export type Interval = readonly [number, number];

export interface AgentRef {
  siteId: string;
  /** The digest's `ref`: the id reservations use. */
  agentId: string;
}

export interface CallbackNeed {
  id: string;
  /** Required skill and level: a missing skill disqualifies; below the level is allowed but penalised. */
  skill: string;
  level: number;
  /** The agent must have the channel; speaking the language is a bonus. */
  channel: string;
  language?: string;
  /** The start must lie in [earliestMs, latestStartMs]. */
  earliestMs: number;
  latestStartMs: number;
  /** Earlier is better; a timed window (asap false) takes any start inside, with a small preference for earlier. */
  asap: boolean;
  /** 1 most urgent .. 5: an urgent callback's placement counts more, so it wins scarce agents. */
  priority: number;
  previousAgent?: AgentRef;
  excludeSites?: readonly string[];
  /** Held already: the agent this callback reserved (its slot is free for it in a re-plan). */
  current?: AgentRef & { startMs: number };
}

export interface SchedulingContext {
  nowMs: number;
  /** How long a placement holds its agent: [start, start + slotMs). */
  slotMs: number;
  /** The provider's allowed sites, in preference order (ties go to the earlier one). */
  siteIds: readonly string[];
  /** Per site, 0 = cheapest .. 3; a site not listed is tier 0. */
  costTier?: Readonly<Record<string, number>>;
  /**
   * Where ties between a site's agents start, as a share of its list (0 = its first agent):
   * the shards of one provider plan apart from each other, so each starts at another agent
   * and their plans meet less at the sites. Absent is 0.
   */
  tieStart?: number;
  /** Callbacks already held at each site, for load balance. */
  siteLoad?: Readonly<Record<string, number>>;
  weights: Weights;
}

export interface Placement {
  callbackId: string;
  siteId: string;
  agentId: string;
  startMs: number;
  score: number;
}

export interface Unplaced {
  callbackId: string;
  reason: UnplacedReason;
  /** The earliest start after latestStartMs at which a qualified agent is free; null when none within what the digests tell. */
  earliestOutsideMs: number | null;
}

export type UnplacedReason = "no_qualified_agent" | "no_agent_free_in_window";

export interface PlanResult {
  /** One per placed callback; no agent is double-booked. */
  placements: Placement[];
  /** Per placed callback: the next best placements, best first, at most 5, for when the site refuses with 409. */
  alternatives: Map<string, Placement[]>;
  unplaced: Unplaced[];
}
