/**
 * Weekly opening hours in an IANA time zone: agents' shifts and providers'
 * business hours. Pure; luxon does the time-zone arithmetic (DST included).
 */
import { DateTime, IANAZone } from "luxon";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];
/** `["HH:MM","HH:MM"]`, local time; "24:00" is allowed as an end. */
export type HoursRange = readonly [string, string];
export type WeeklyHours = Partial<Record<Weekday, readonly HoursRange[]>>;
export type Interval = readonly [startMs: number, endMs: number];

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

export const isValidTimeZone = (zone: string): boolean => IANAZone.isValidZone(zone);

export const isValidHHMM = (value: string): boolean => HHMM.test(value);

export function minutesOf(value: string): number {
  const [h, m] = value.split(":").map(Number);
  return h * 60 + m;
}

/** A range is well formed when both ends parse and it is not empty; "24:00" may only end one. */
export function isValidRange([start, end]: HoursRange): boolean {
  return isValidHHMM(start) && isValidHHMM(end) && start !== "24:00" && minutesOf(end) > minutesOf(start);
}

/**
 * Answers already worked out, by every argument. A roster's agents mostly share a few
 * shifts, and one read asks for every agent over the same range; luxon's walk over the
 * days was most of a site's CPU for it (bench/abuse.ts, 100 agents on one shift: a page
 * of them 75 ms before, 5.5 ms after; an availability over a fortnight 96 ms, 7 ms).
 * Bounded; cleared when full.
 */
const answered = new Map<string, Interval[]>();
const MAX_ANSWERS = 1024;

/**
 * Open intervals overlapping [fromMs, toMs), clipped to it, merged where one ends
 * as the next begins (e.g. "24:00" followed by "00:00"). `closedDates` holds local
 * dates ("YYYY-MM-DD") on which nothing opens.
 */
export function openIntervals(
  hours: WeeklyHours,
  zone: string,
  fromMs: number,
  toMs: number,
  closedDates: ReadonlySet<string> = new Set(),
): Interval[] {
  const key = `${zone}\n${fromMs}\n${toMs}\n${[...closedDates].join(",")}\n${JSON.stringify(hours)}`;
  let known = answered.get(key);
  if (!known) {
    known = walkDays(hours, zone, fromMs, toMs, closedDates);
    if (answered.size >= MAX_ANSWERS) answered.clear();
    answered.set(key, known);
  }
  // A copy: the caller's array is its own.
  return known.slice();
}

function walkDays(hours: WeeklyHours, zone: string, fromMs: number, toMs: number, closedDates: ReadonlySet<string>): Interval[] {
  if (toMs <= fromMs) return [];
  const raw: [number, number][] = [];
  let day = DateTime.fromMillis(fromMs, { zone }).startOf("day").minus({ days: 1 });
  const last = DateTime.fromMillis(toMs, { zone }).startOf("day");
  while (day <= last) {
    const weekday = WEEKDAYS[day.weekday - 1];
    if (!closedDates.has(day.toISODate() as string)) {
      for (const [start, end] of hours[weekday] ?? []) {
        const s = atLocalMinutes(day, minutesOf(start));
        const e = atLocalMinutes(day, minutesOf(end));
        if (e > fromMs && s < toMs && e > s) raw.push([Math.max(s, fromMs), Math.min(e, toMs)]);
      }
    }
    day = day.plus({ days: 1 });
  }
  raw.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const iv of raw) {
    const prev = merged[merged.length - 1];
    if (prev && iv[0] <= prev[1]) prev[1] = Math.max(prev[1], iv[1]);
    else merged.push([iv[0], iv[1]]);
  }
  return merged;
}

/** The instant of a local wall-clock minute on a day; a time skipped by DST moves forward, as clocks do. */
function atLocalMinutes(day: DateTime, minutes: number): number {
  if (minutes >= 24 * 60) return day.plus({ days: 1 }).toMillis();
  return day.set({ hour: Math.floor(minutes / 60), minute: minutes % 60 }).toMillis();
}

const DAY_MS = 86_400_000;

export function isOpenAt(hours: WeeklyHours, zone: string, atMs: number, closed?: ReadonlySet<string>): boolean {
  return openIntervals(hours, zone, atMs, atMs + 1, closed).length > 0;
}

/** The first open instant at or after `fromMs` within `horizonDays`, or null. */
export function nextOpenAt(
  hours: WeeklyHours,
  zone: string,
  fromMs: number,
  closed?: ReadonlySet<string>,
  horizonDays = 14,
): number | null {
  const first = openIntervals(hours, zone, fromMs, fromMs + horizonDays * DAY_MS, closed)[0];
  return first ? first[0] : null;
}

const DAY_NAMES: Record<Weekday, string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

/**
 * The week in words, consecutive days with the same hours grouped:
 * "Mon–Fri 08:00–20:00, Sat 09:00–13:00" or "every day, around the clock".
 */
export function describeWeek(hours: WeeklyHours): string {
  const rangesOf = (d: Weekday) => (hours[d] ?? []).map(([s, e]) => `${s}–${e}`).join(" and ");
  if (WEEKDAYS.every((d) => rangesOf(d) === "00:00–24:00")) return "every day, around the clock";
  const groups: { from: Weekday; to: Weekday; ranges: string }[] = [];
  for (const d of WEEKDAYS) {
    const ranges = rangesOf(d);
    const last = groups.at(-1);
    if (last && last.ranges === ranges && WEEKDAYS.indexOf(last.to) === WEEKDAYS.indexOf(d) - 1) last.to = d;
    else groups.push({ from: d, to: d, ranges });
  }
  return groups
    .filter((g) => g.ranges !== "")
    .map((g) => `${g.from === g.to ? DAY_NAMES[g.from] : `${DAY_NAMES[g.from]}–${DAY_NAMES[g.to]}`} ${g.ranges}`)
    .join(", ");
}
