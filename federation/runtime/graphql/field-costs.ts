/**
 * What the fields whose size follows their arguments (other than `first`) cost, and
 * the bounds on those arguments: one rule per field, by "Type.field" (FIELD_COSTS).
 * limits.ts applies them when it measures an operation, with the arguments' literal
 * values, or their variables' values once the operation starts (UNKNOWN before).
 */
import { MAX_EVENTS } from "../../../objects/callback-cloud/graph-reads.ts";
import { MAX_REFS } from "../../../objects/roster/graph-reads.ts";
import { FREE_HORIZON_MS } from "../../wire/digest.ts";
import { MAX_MESH_SLOTS } from "../gateway/mesh-availability.ts";

/** An argument given by a variable whose value is not known yet (when the document is validated). */
export const UNKNOWN: unique symbol = Symbol("unknown");

/** A field's arguments as the query gives them: literal values, variables' values (or UNKNOWN), else the schema's defaults. */
export type FieldArgs = Readonly<Record<string, unknown>>;

/** An argument out of the server's bounds, named as REST names a field (`args.to`). */
export interface ArgProblem {
  path: string;
  message: string;
}

/**
 * What a field costs for its arguments: `items`, for a list, how many times what is
 * selected under it counts; `own`, work its resolver does whatever is selected
 * (default 1, the field itself). Or why its arguments are refused.
 */
export type FieldCost = (args: FieldArgs) => { items: number; own?: number } | { refused: ArgProblem[] };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * The bounds on a site's availability window, the roster's own (objects/roster/model.ts, which
 * refuses the same when it reads them; a unit test holds the two together), refused here before
 * anything runs: 14 days of 5-minute slots, 4,032, is the most one field returns.
 */
export const AVAILABILITY_BOUNDS = { maxDays: 14, minSlotMinutes: 5, maxSlotMinutes: 240, defaultSlotMinutes: 15 } as const;
export const MAX_AVAILABILITY_SLOTS = (AVAILABILITY_BOUNDS.maxDays * DAY_MS) / (AVAILABILITY_BOUNDS.minSlotMinutes * MINUTE_MS);

/**
 * What an availability field costs beyond its slots: the roster works out every eligible
 * agent's time on duty over the window before it counts a slot. At 100 agents that took
 * about 3 ms for a day and 7 ms for a fortnight (bench/abuse.ts), what 1,400 and 2,900
 * plain fields cost there. Counted by its slots alone, a fortnight in 4-hour slots cost
 * 253, and ten of them took 0.9 s while the roster worked out each agent's shift afresh.
 */
export const AVAILABILITY_COST = { perCall: 1_500, perDay: 150 } as const;

const instant = (v: unknown) => (typeof v === "string" ? Date.parse(v) : Number.NaN);

function slotMinutesOf(v: unknown): number | ArgProblem {
  if (typeof v !== "number") return AVAILABILITY_BOUNDS.defaultSlotMinutes;
  const { minSlotMinutes: min, maxSlotMinutes: max } = AVAILABILITY_BOUNDS;
  return v >= min && v <= max ? v : { path: "args.slotMinutes", message: `slotMinutes is at least ${min} and at most ${max}` };
}

/** `availability(from, to, slotMinutes)` at a site: a slot per slotMinutes over at most 14 days, and the roster's work per day. */
const availability: FieldCost = (a) => {
  const slot = slotMinutesOf(a.slotMinutes);
  const from = instant(a.from);
  const to = instant(a.to);
  const refused: ArgProblem[] = typeof slot === "number" ? [] : [slot];
  if (to - from > AVAILABILITY_BOUNDS.maxDays * DAY_MS) refused.push({ path: "args.to", message: `a window spans at most ${AVAILABILITY_BOUNDS.maxDays} days` });
  if (refused.length > 0) return { refused };
  if (a.from === UNKNOWN || a.to === UNKNOWN || a.slotMinutes === UNKNOWN) return { items: 0, own: AVAILABILITY_COST.perCall };
  // A time the roster cannot read is refused there: counted as the largest, never as less than it may be.
  const span = Number.isFinite(from) && Number.isFinite(to) ? Math.max(0, to - from) : AVAILABILITY_BOUNDS.maxDays * DAY_MS;
  return {
    items: Math.ceil(span / ((slot as number) * MINUTE_MS)),
    own: AVAILABILITY_COST.perCall + Math.ceil((span / DAY_MS) * AVAILABILITY_COST.perDay),
  };
};

/** `meshAvailability(from, to, slotMinutes)`: at most the digests' horizon (a day), at most MAX_MESH_SLOTS. */
const meshAvailability: FieldCost = (a) => {
  const slot = slotMinutesOf(a.slotMinutes);
  if (typeof slot !== "number") return { refused: [slot] };
  if (a.from === UNKNOWN || a.to === UNKNOWN || a.slotMinutes === UNKNOWN) return { items: 0 };
  const span = Number.isFinite(instant(a.from)) && Number.isFinite(instant(a.to)) ? instant(a.to) - instant(a.from) : FREE_HORIZON_MS;
  return { items: Math.max(0, Math.min(MAX_MESH_SLOTS, Math.ceil(Math.min(span, FREE_HORIZON_MS) / (slot * MINUTE_MS)))) };
};

/** A list argument's length (a look-up returns one item per key), at most what its resolver takes. */
const lengthOf = (v: unknown, max: number) => ({ items: Array.isArray(v) ? Math.min(v.length, max) : 0 });

/** A `first` that its resolver may take past the largest page (up to `max`). */
const pageUpTo = (v: unknown, max: number) => ({ items: typeof v === "number" ? Math.max(0, Math.min(v, max)) : 0 });

/**
 * Every field whose cost follows arguments other than `first`, by "Type.field" (the
 * same names in the site and cloud subgraphs and the federated schema): the lists
 * whose length they set, and the work availability does per call. Any other list is a
 * page (`first`) or, without one, DEFAULT_LIST_SIZE; any other field costs 1.
 */
export const FIELD_COSTS: Readonly<Record<string, FieldCost>> = {
  "Query.availability": availability,
  "Site.availability": availability,
  "Query.meshAvailability": meshAvailability,
  "Query._agents": (a) => lengthOf(a.ids, MAX_REFS),
  "Query._agentCallbacks": (a) => lengthOf(a.keys, Number.POSITIVE_INFINITY),
  "Callback.history": (a) => pageUpTo(a.first, MAX_EVENTS),
};
