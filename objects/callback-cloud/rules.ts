/**
 * When a provider may be called back: pure functions of its rules, its time zone
 * and an instant. Time always comes in as an argument (`nowMs`), never from the
 * wall clock. The time-zone arithmetic is objects/shared/weekly-hours.ts (luxon).
 *
 * Choices worth knowing:
 * - Holidays are local dates in the provider's zone, closed from 00:00 to 24:00.
 * - Slots start on local wall-clock multiples of `slotMinutes` since local midnight
 *   (15-minute slots start at :00, :15, :30, :45) and last `slotMinutes` of real time.
 *   An open range that starts off the grid (08:10) gets its first slot at the next
 *   grid point (08:15); a slot is offered only when it lies wholly inside open hours.
 *   Across a DST change slots keep to the wall-clock grid: in the hour that repeats in
 *   autumn both occurrences get slots; in the hour skipped in spring there are none.
 * - The bookable horizon is [now + minNotice, now + maxAdvanceDays], the days counted
 *   as calendar days in the provider's zone (a DST day is not 24 h).
 * - `asap` means from now + minNotice (or the next opening), not from the next slot
 *   boundary, provided a whole slot's length is left before closing; the window runs to
 *   the end of that open range, at most `ASAP_SPAN_MS` (2 h) long.
 * - A requested window is accepted when it holds at least one whole slot; it is then
 *   tightened to [its first slot's start, its last slot's end].
 * - `retryAt`: attempts are counted from 1; after attempt N fails the next may happen
 *   `retryBackoffMinutes[N-1]` later (the last value repeats), or at the next opening
 *   if that is while closed. Retries are instants, not slots (they are not aligned).
 */
import { DateTime, IANAZone } from "luxon";
import { describeWeek, openIntervals, type Interval, type WeeklyHours } from "../shared/weekly-hours.ts";
import type { ProviderRules } from "./provider.ts";

export type Rules = Pick<
  ProviderRules,
  "businessHours" | "holidays" | "minNoticeMinutes" | "maxAdvanceDays" | "slotMinutes" | "maxAttempts" | "retryBackoffMinutes"
>;

export interface Slot {
  startMs: number;
  endMs: number;
}

/** How long an `asap` window lasts at most (it also ends when the provider closes). */
export const ASAP_SPAN_MS = 2 * 3_600_000;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export type CallbackWindow = { asap: true } | { startMs: number; endMs: number };

export type WindowRejection = "closed" | "too_soon" | "too_far" | "holiday" | "empty_window";

export type WindowCheck =
  | {
      ok: true;
      startMs: number;
      endMs: number;
      /** An asap request while closed: why the callback waits for the next opening, for a person. */
      notice?: string;
    }
  | {
      ok: false;
      reason: WindowRejection;
      /** For a person: this becomes the message of a 422. */
      message: string;
      /** The earliest slot start that would be accepted, when there is one within the horizon. */
      earliestSlotMs?: number;
    };

/** The provider's holidays as a set of local dates. */
export const closedDates = (rules: Pick<Rules, "holidays">): ReadonlySet<string> => new Set(rules.holidays);

/** Whether the provider is open at an instant: business hours, and not on a holiday. */
export function isOpen(rules: Rules, zone: string, atMs: number): boolean {
  return openHours(rules.businessHours, zone, atMs, atMs + 1, closedDates(rules)).length > 0;
}

/** The first open instant at or after `fromMs`, or null when none within `maxAdvanceDays` of it. */
export function nextOpenAt(rules: Rules, zone: string, fromMs: number): number | null {
  return openHours(rules.businessHours, zone, fromMs, fromMs + rules.maxAdvanceDays * DAY_MS, closedDates(rules))[0]?.[0] ?? null;
}

/** Why a provider cannot call now, for a person; null while it is open. */
export interface ClosedNotice {
  /** When it opens next, or null when not within `maxAdvanceDays`. */
  opensAtMs: number | null;
  /** "Closed now, until Thursday 9 January 2030, 08:00 CST (hours: Mon–Fri 08:00–20:00, Sat 09:00–13:00, America/Chicago)." */
  message: string;
}

export function closedNotice(rules: Rules, zone: string, nowMs: number): ClosedNotice | null {
  if (isOpen(rules, zone, nowMs)) return null;
  // When it opens for at least one slot: a sliver of an opening is no use to a caller.
  const horizon = bookingHorizon(rules, zone, nowMs).latestMs;
  const slotMs = rules.slotMinutes * MINUTE_MS;
  const opensAtMs = openHours(rules.businessHours, zone, nowMs, horizon, closedDates(rules)).find(([s, e]) => e - s >= slotMs)?.[0] ?? null;
  const hours = `(hours: ${describeWeek(rules.businessHours)}, ${zone})`;
  const today = DateTime.fromMillis(nowMs, { zone }).toISODate() ?? "";
  const why = closedDates(rules).has(today) ? "Closed today (holiday)" : "Closed now";
  return opensAtMs === null
    ? { opensAtMs, message: `${why}, with no opening in the next ${days(rules.maxAdvanceDays)} ${hours}.` }
    : { opensAtMs, message: `${why}, until ${formatLocal(opensAtMs, zone)} ${hours}.` };
}

/** The bookable range as of `nowMs`: from now + minimum notice to now + maxAdvanceDays (local calendar days). */
export function bookingHorizon(rules: Rules, zone: string, nowMs: number): { earliestMs: number; latestMs: number } {
  return {
    earliestMs: nowMs + rules.minNoticeMinutes * MINUTE_MS,
    latestMs: DateTime.fromMillis(nowMs, { zone }).plus({ days: rules.maxAdvanceDays }).toMillis(),
  };
}

/**
 * The slots in [fromMs, toMs) that lie wholly inside open hours and inside the
 * bookable horizon as of `nowMs`, earliest first, at most `limit` of them.
 */
export function slotsInWindow(
  rules: Rules,
  zone: string,
  fromMs: number,
  toMs: number,
  nowMs: number,
  limit = 2000,
): Slot[] {
  const { earliestMs, latestMs } = bookingHorizon(rules, zone, nowMs);
  return slotsWithin(rules, zone, Math.max(fromMs, earliestMs), Math.min(toMs, latestMs), closedDates(rules), limit);
}

/**
 * Checks a callback request's window against the rules as of `nowMs`: either the
 * window the callback may happen in, or why not, said for a person.
 */
export function checkWindow(rules: Rules, zone: string, window: CallbackWindow, nowMs: number): WindowCheck {
  const { earliestMs, latestMs } = bookingHorizon(rules, zone, nowMs);
  const closed = closedDates(rules);
  const slotMs = rules.slotMinutes * MINUTE_MS;

  if ("asap" in window) {
    // As soon as possible means now (after the notice), not the next slot boundary, as long
    // as one slot's length is left before closing.
    const open = openHours(rules.businessHours, zone, earliestMs, latestMs, closed).find(([s, e]) => e - s >= slotMs);
    if (!open) {
      return {
        ok: false,
        reason: "closed",
        message: `We have no opening for a callback in the next ${days(rules.maxAdvanceDays)} (hours: ${describeWeek(rules.businessHours)}, ${zone}).`,
      };
    }
    // Waiting for a later opening is said in words: closed now, or open but too close to closing (with the notice
    // the provider needs) for a whole slot.
    const notice =
      open[0] <= earliestMs
        ? undefined
        : (closedNotice(rules, zone, nowMs)?.message ??
          `Too close to closing for a ${rules.slotMinutes}-minute call${rules.minNoticeMinutes > 0 ? ` with ${minutes(rules.minNoticeMinutes)} notice` : ""}, so the callback waits until ${formatLocal(open[0], zone)} (hours: ${describeWeek(rules.businessHours)}, ${zone}).`);
    return { ok: true, startMs: open[0], endMs: Math.min(open[1], open[0] + ASAP_SPAN_MS), ...(notice ? { notice } : {}) };
  }

  const { startMs, endMs } = window;
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs <= startMs) {
    return { ok: false, reason: "empty_window", message: "The requested time window ends before it starts." };
  }
  const suggest = (from: number) => slotsWithin(rules, zone, Math.max(from, earliestMs), latestMs, closed, 1)[0]?.startMs;
  const withSuggestion = (reason: WindowRejection, message: string, from: number): WindowCheck => {
    const earliestSlotMs = suggest(from);
    return earliestSlotMs === undefined
      ? { ok: false, reason, message }
      : { ok: false, reason, message: `${message} The earliest possible time is ${formatLocal(earliestSlotMs, zone)}.`, earliestSlotMs };
  };

  // Too soon: what is left of the window after the minimum notice cannot hold a slot.
  if (startMs < earliestMs && !fitsSlot(zone, slotMs, earliestMs, endMs)) {
    const message =
      endMs <= nowMs
        ? "That time has already passed."
        : rules.minNoticeMinutes > 0
          ? `A callback needs at least ${minutes(rules.minNoticeMinutes)} notice.`
          : "That time is too close to now.";
    return withSuggestion("too_soon", message, nowMs);
  }
  const from = Math.max(startMs, earliestMs);
  const tooFar: WindowCheck = {
    ok: false,
    reason: "too_far",
    message: `Callbacks can be booked at most ${days(rules.maxAdvanceDays)} ahead, until ${formatLocal(latestMs, zone)}.`,
  };
  // Too far: the window (what is left of it) lies beyond the booking horizon.
  if (from >= latestMs || (!fitsSlot(zone, slotMs, from, latestMs) && fitsSlot(zone, slotMs, from, endMs))) return tooFar;
  const to = Math.min(endMs, latestMs);
  if (!fitsSlot(zone, slotMs, from, to)) {
    return {
      ok: false,
      reason: "empty_window",
      message: `The requested time window is too short: it must hold at least one ${rules.slotMinutes}-minute slot.`,
    };
  }

  const [first] = slotsWithin(rules, zone, from, to, closed, 1);
  if (first) return { ok: true, startMs: first.startMs, endMs: lastSlotEnd(rules, zone, from, to, closed) };

  // No slot in the bookable part, but one in the part beyond the horizon.
  if (endMs > latestMs && slotsWithin(rules, zone, latestMs, endMs, closed, 1).length > 0) return tooFar;

  // No slot: a holiday when the window would have had one on an ordinary day.
  if (slotsWithin(rules, zone, from, to, new Set(), 1).length > 0) {
    const dates = rules.holidays.filter((d) => overlapsLocalDate(d, zone, from, to));
    const named = dates.map((d) => DateTime.fromISO(d, { zone }).setLocale("en-US").toFormat("cccc d LLLL yyyy")).join(", ");
    return withSuggestion("holiday", `We are closed on ${named || "that day"} (holiday).`, from);
  }
  return withSuggestion("closed", `We are closed at that time (hours: ${describeWeek(rules.businessHours)}, ${zone}).`, from);
}

/**
 * When the next attempt may happen after attempt `attempt` (counted from 1) failed
 * at `failedAtMs`: after the backoff for that attempt (the last value repeats), moved
 * to the next opening if that falls while closed. Null when `maxAttempts` is reached
 * or there is no opening within `maxAdvanceDays` of it.
 */
export function retryAt(rules: Rules, zone: string, attempt: number, failedAtMs: number): number | null {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  if (attempt >= rules.maxAttempts) return null;
  const backoff = rules.retryBackoffMinutes;
  const waitMinutes = backoff.length > 0 ? backoff[Math.min(attempt - 1, backoff.length - 1)] : 0;
  const at = failedAtMs + waitMinutes * MINUTE_MS;
  return isOpen(rules, zone, at) ? at : nextOpenAt(rules, zone, at);
}

// ---------------------------------------------------------------------------

/** Slots wholly inside open hours within [fromMs, toMs), earliest first. */
function slotsWithin(
  rules: Rules,
  zone: string,
  fromMs: number,
  toMs: number,
  closed: ReadonlySet<string>,
  limit: number,
): Slot[] {
  const slotMs = rules.slotMinutes * MINUTE_MS;
  const out: Slot[] = [];
  if (toMs <= fromMs || limit <= 0) return out;
  for (const [s, e] of openHours(rules.businessHours, zone, fromMs, toMs, closed)) {
    let t = ceilToGrid(s, zone, rules.slotMinutes);
    while (t + slotMs <= e) {
      // Where the offset is the same a day on (no zone changes twice in a day), it held all day: the grid steps by
      // whole slots there, with no look-up per slot (luxon's offset is an Intl call, and an offer has 96 slots).
      const stretchEnd = Math.min(e, t + DAY_MS);
      if (offsetMinutes(t, zone) === offsetMinutes(stretchEnd, zone)) {
        for (; t + slotMs <= stretchEnd; t += slotMs) {
          out.push({ startMs: t, endMs: t + slotMs });
          if (out.length >= limit) return out;
        }
        t = ceilToGrid(t, zone, rules.slotMinutes);
        continue;
      }
      out.push({ startMs: t, endMs: t + slotMs });
      if (out.length >= limit) return out;
      t = ceilToGrid(t + slotMs, zone, rules.slotMinutes);
    }
  }
  return out;
}

/** The end of the last slot in [fromMs, toMs) (which holds at least one). */
function lastSlotEnd(rules: Rules, zone: string, fromMs: number, toMs: number, closed: ReadonlySet<string>): number {
  const slotMs = rules.slotMinutes * MINUTE_MS;
  const intervals = openHours(rules.businessHours, zone, fromMs, toMs, closed);
  for (let i = intervals.length - 1; i >= 0; i--) {
    const [s, e] = intervals[i];
    // Walk the grid forward as slotsWithin does, but only over the interval's last two
    // days (a round-the-clock provider has one interval as long as the horizon): the walk
    // falls back onto the same grid within a slot of any DST change.
    let last: number | null = null;
    for (let t = ceilToGrid(Math.max(s, e - 2 * DAY_MS), zone, rules.slotMinutes); t + slotMs <= e; t = ceilToGrid(t + slotMs, zone, rules.slotMinutes)) {
      last = t + slotMs;
    }
    if (last !== null) return last;
  }
  throw new Error("lastSlotEnd: no slot in the window");
}

/** Whether a slot on the grid fits in [fromMs, toMs), ignoring opening hours. */
function fitsSlot(zone: string, slotMs: number, fromMs: number, toMs: number): boolean {
  return toMs > fromMs && ceilToGrid(fromMs, zone, slotMs / MINUTE_MS) + slotMs <= toMs;
}

/** Wall-clock minutes since local midnight, and the sub-minute remainder, of an instant. */
function localMinute(atMs: number, zone: string): { minute: number; subMs: number } {
  const local = atMs + offsetMinutes(atMs, zone) * MINUTE_MS;
  const inDay = ((local % DAY_MS) + DAY_MS) % DAY_MS;
  return { minute: Math.floor(inDay / MINUTE_MS), subMs: inDay % MINUTE_MS };
}

/**
 * The open intervals in [fromMs, toMs), as openIntervals gives them: worked out over whole
 * UTC days, kept per hours object (a registration's, the same until it is replaced), then
 * clipped to the range. Clipping merged intervals is merging clipped ones, so the answer is
 * the same; luxon's walk over the days (some 0.3 ms a day) runs once a day, not per request.
 */
const hoursMemo = new WeakMap<WeeklyHours, Map<string, Interval[]>>();

export function openHours(hours: WeeklyHours, zone: string, fromMs: number, toMs: number, closed: ReadonlySet<string>): Interval[] {
  if (toMs <= fromMs) return [];
  const from = Math.floor(fromMs / DAY_MS) * DAY_MS;
  const to = Math.ceil(toMs / DAY_MS) * DAY_MS;
  const key = `${zone}\n${from}\n${to}\n${[...closed].sort().join(",")}`;
  let byRange = hoursMemo.get(hours);
  if (!byRange) hoursMemo.set(hours, (byRange = new Map()));
  let whole = byRange.get(key);
  if (!whole) {
    whole = openIntervals(hours, zone, from, to, closed);
    if (byRange.size >= 64) byRange.clear();
    byRange.set(key, whole);
  }
  const out: Interval[] = [];
  for (const [s, e] of whole) {
    if (s >= toMs) break;
    if (e > fromMs) out.push([Math.max(s, fromMs), Math.min(e, toMs)]);
  }
  return out;
}

/** The zone's offset from UTC at an instant, in minutes (luxon caches the zone, not the offsets). */
function offsetMinutes(atMs: number, zone: string): number {
  return IANAZone.create(zone).offset(atMs);
}

/** The first instant ≥ atMs whose local wall-clock time is a multiple of `slotMinutes` since midnight. */
function ceilToGrid(atMs: number, zone: string, slotMinutes: number): number {
  let t = atMs;
  for (let guard = 0; guard < 8; guard++) {
    const { minute, subMs } = localMinute(t, zone);
    if (subMs > 0) {
      t += 60_000 - subMs;
      continue;
    }
    const rest = minute % slotMinutes;
    if (rest === 0) return t;
    t += (slotMinutes - rest) * MINUTE_MS; // a DST change in between may leave it off the grid: look again
  }
  return t;
}

/** Whether the local date `date` (YYYY-MM-DD in `zone`) overlaps [fromMs, toMs). */
function overlapsLocalDate(date: string, zone: string, fromMs: number, toMs: number): boolean {
  const start = DateTime.fromISO(date, { zone }).startOf("day");
  return start.toMillis() < toMs && start.plus({ days: 1 }).toMillis() > fromMs;
}

function formatLocal(atMs: number, zone: string): string {
  return DateTime.fromMillis(atMs, { zone }).setLocale("en-US").toFormat("cccc d LLLL yyyy, HH:mm ZZZZ");
}

const days = (n: number) => (n === 1 ? "1 day" : `${n} days`);
const minutes = (n: number) => (n === 1 ? "1 minute's" : `${n} minutes'`);
