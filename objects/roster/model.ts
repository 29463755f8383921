/** The roster's request schemas (zod is the source of the types) and its records. */
import { displayName } from "../shared/text.ts";
import { z } from "zod";
import { CHANNELS, REPORTABLE_STATES, skillName, type AgentState, type Channel } from "../../federation/wire/vocabulary.ts";
import { isValidRange, isValidTimeZone, WEEKDAYS } from "../shared/weekly-hours.ts";
import { weightsSchema } from "../callback-cloud/scheduling/weights.ts";

export const EXPOSURES = ["public", "federated", "internal"] as const;
export type Exposure = (typeof EXPOSURES)[number];

/**
 * What leaves a site of each resource. `federated`: its record (opaque ref and capabilities)
 * is listed to the federation, in digests and GraphQL. `public`: it is bookable — counted in
 * the site's availability and skill summaries, reserved when the site chooses — but never
 * listed one by one outside the site. `internal`: nothing leaves. A member's `exposure` in
 * the membership caps its resources: capped at `public`, none of them is listed outside it.
 */
export type ListedOutside = "federated" | "none";

/** Which resources a site lists outside its boundary, given its own cap in the membership (none known: federated). */
export const listedOutside = (cap: "public" | "federated" | null | undefined): ListedOutside => (cap === "public" ? "none" : "federated");

/** Whether a resource of this exposure is listed to callers outside its site. */
export const isListedOutside = (exposure: Exposure, listed: ListedOutside): boolean => listed === "federated" && exposure === "federated";
export const RESOURCE_KINDS = ["agent", "bot", "ivr", "voicemail"] as const;

export const resourceId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "lower-case letters, digits, '.', '_' or '-', at most 64");
export const channel = z.enum(CHANNELS);
const language = z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, "a language tag such as en or pt-BR");
const hoursRange = z
  .tuple([z.string(), z.string()])
  .refine(isValidRange, 'a range is ["HH:MM","HH:MM"], start before end, "24:00" allowed as an end');

export const weeklyHours = z.partialRecord(z.enum(WEEKDAYS), z.array(hoursRange).max(8));
export const timeZone = z.string().refine(isValidTimeZone, "not an IANA time zone");

export const shiftSchema = z.strictObject({ timezone: timeZone, weekly: weeklyHours });
export type Shift = z.infer<typeof shiftSchema>;

export const agentInput = z.strictObject({
  kind: z.enum(RESOURCE_KINDS).default("agent"),
  name: displayName(120),
  skills: z
    .record(skillName, z.number().int().min(1).max(5))
    .refine((s) => Object.keys(s).length <= 32, "at most 32 skills"),
  channels: z.array(channel).min(1).max(CHANNELS.length).refine(unique, "channels repeat"),
  languages: z.array(language).min(1).max(16).refine(unique, "languages repeat"),
  capacity: z.number().int().min(1).max(20).default(1),
  exposure: z.enum(EXPOSURES).default("federated"),
  shift: shiftSchema.optional(),
});
export type AgentInput = z.infer<typeof agentInput>;

const isoInstant = z.iso.datetime({ offset: true });

/** The furthest ahead a break, a call or wrap-up may say it ends: longer is not a state but an absence (a shift). */
export const MAX_UNTIL_AHEAD_MS = 7 * 86_400_000;
/** The furthest ahead a reservation may start, in days: past any provider's booking horizon (90 days). */
export const DEFAULT_RESERVATION_HORIZON_DAYS = 91;

export const statusReport = z
  .strictObject({ state: z.enum(REPORTABLE_STATES), until: isoInstant.optional() })
  .refine((r) => r.state !== "break" || r.until !== undefined, { message: "a break needs `until`", path: ["until"] })
  .refine((r) => r.until === undefined || ["break", "busy", "wrap_up"].includes(r.state), {
    message: "`until` goes only with break, busy or wrap_up",
    path: ["until"],
  });
export type StatusReport = z.infer<typeof statusReport>;

export const reservationInput = z
  .strictObject({
    callbackId: z.string().min(1).max(128),
    agentId: z.string().min(1).max(64).optional(),
    skill: skillName,
    channel,
    start: isoInstant,
    end: isoInstant,
    /** A tentative hold shorter than the window, for planners that reserve before they commit. */
    holdSeconds: z.number().int().min(1).max(86_400).optional(),
    /**
     * The callback's current hold at this site, given back in the same write that makes this
     * one: a callback moved within a site never holds two agents, nor none.
     */
    replaces: z.string().min(1).max(64).optional(),
    /**
     * When no agent is named, what the site weighs to choose one, as the cloud's scheduler
     * does: the level the callback needs, the customer's language, the agent it spoke to
     * last, and the provider's weights. Without it, the site takes the strongest in the skill.
     */
    choose: z
      .strictObject({
        level: z.number().int().min(1).max(5),
        language: z.string().min(2).max(16).optional(),
        previousAgent: z.string().min(1).max(64).optional(),
        weights: weightsSchema.optional(),
      })
      .optional(),
  })
  .refine((r) => Date.parse(r.end) > Date.parse(r.start), { message: "end must be after start", path: ["end"] })
  .refine((r) => Date.parse(r.end) - Date.parse(r.start) <= 86_400_000, {
    message: "a reservation spans at most one day",
    path: ["end"],
  });
export type ReservationInput = z.infer<typeof reservationInput>;

export const availabilityQuery = z
  .strictObject({
    /** One skill, or several separated by commas: an agent with any of them counts once. */
    skill: z
      .string()
      .transform((v) => v.split(","))
      .pipe(z.array(skillName).min(1).max(32)),
    channel,
    from: isoInstant,
    to: isoInstant,
    slotMinutes: z.coerce.number().int().min(5).max(240).default(15),
  })
  .refine((q) => Date.parse(q.to) > Date.parse(q.from), { message: "to must be after from", path: ["to"] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 14 * 86_400_000, {
    message: "a window spans at most 14 days",
    path: ["to"],
  });
export type AvailabilityQuery = z.infer<typeof availabilityQuery>;

function unique(values: readonly string[]): boolean {
  return new Set(values).size === values.length;
}

/** A resource as the roster keeps it (times in epoch ms). */
export interface Resource extends Omit<AgentInput, "shift"> {
  id: string;
  /** Stable, unguessable id that stands for the resource outside the site. */
  ref: string;
  shift: Shift | null;
  state: AgentState;
  untilMs: number | null;
  lastReportAtMs: number | null;
  updatedAtMs: number;
}

export const RESERVATION_STATUSES = ["held", "claimed", "released", "expired"] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export interface Reservation {
  id: string;
  callbackId: string;
  agentId: string;
  skill: string;
  channel: Channel;
  startMs: number;
  endMs: number;
  status: ReservationStatus;
  expiresAtMs: number;
  createdAtMs: number;
}

