/**
 * Expected availability and free capacity: pure functions of a resource, the
 * reservations it holds and the time.
 */
import { isOpenAt, openIntervals, type Interval } from "../shared/weekly-hours.ts";
import type { Reservation, Resource } from "./model.ts";
import type { AgentState } from "../../federation/wire/vocabulary.ts";

/** Assumed remaining time of a call or wrap-up reported without `until`. */
export const BUSY_ESTIMATE_MS = 5 * 60_000;
export const WRAP_UP_ESTIMATE_MS = 60_000;
/** How long a resource logged in outside its shift is counted on, unless the shift opens first. */
export const OFF_SHIFT_GRACE_MS = 60 * 60_000;
/** How far ahead availability is looked for. */
export const HORIZON_MS = 14 * 86_400_000;

const LOGGED_IN: readonly AgentState[] = ["available", "busy", "wrap_up", "break", "on_call"];

/** A reservation blocks its agent while it is claimed, or held and not yet expired. */
export const isActive = (r: Pick<Reservation, "status" | "expiresAtMs">, nowMs: number): boolean =>
  r.status === "claimed" || (r.status === "held" && r.expiresAtMs > nowMs);

/** The most reservations that overlap any one instant of [startMs, endMs). */
export function peakOverlap(held: readonly Interval[], startMs: number, endMs: number): number {
  const edges: [number, number][] = [];
  for (const [s, e] of held) {
    if (e <= startMs || s >= endMs) continue;
    edges.push([Math.max(s, startMs), 1], [Math.min(e, endMs), -1]);
  }
  // Ends sort before starts at the same instant: back-to-back reservations do not overlap.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  for (const [, delta] of edges) {
    current += delta;
    peak = Math.max(peak, current);
  }
  return peak;
}

/** States of an agent at work on one call (the call, or its wrap-up): the call takes one unit, not all. */
const ON_A_CALL: readonly AgentState[] = ["busy", "wrap_up"];

/**
 * When a state reported without its end is expected to be over: `estimateMs` after it was
 * reported, then a further `estimateMs` at a time while it lasts. Counted from the report,
 * not from now, so every reading gives the same instant: the site accepts a reservation at
 * the instant its digest offered a moment before (from now, the instant would recede with
 * the clock and every such reservation be refused).
 */
export function estimatedEnd(sinceMs: number, estimateMs: number, nowMs: number): number {
  const end = sinceMs + estimateMs;
  // A report stamped after now (a clock set back) is read as made now.
  if (end > nowMs) return Math.min(end, nowMs + estimateMs);
  return end + (Math.floor((nowMs - end) / estimateMs) + 1) * estimateMs;
}

/** When a logged-in resource's state lets it take all the work it can, before shifts and reservations. */
function stateFreeAt(r: Resource, nowMs: number): number {
  switch (r.state) {
    case "busy":
      return Math.max(nowMs, r.untilMs ?? estimatedEnd(r.updatedAtMs, BUSY_ESTIMATE_MS, nowMs));
    case "wrap_up":
      return Math.max(nowMs, r.untilMs ?? estimatedEnd(r.updatedAtMs, WRAP_UP_ESTIMATE_MS, nowMs));
    case "break":
      return Math.max(nowMs, r.untilMs ?? nowMs);
    default:
      return nowMs;
  }
}

/**
 * The intervals in [fromMs, toMs) during which the resource is on duty. A logged-in
 * resource is on duty from when its state frees it until its shift ends (or, with no
 * shift, indefinitely); after that its shift decides. One on a call is on duty through
 * the call too: the call takes one unit (see `heldIntervals`), not the resource.
 * A logged-off (or unreachable) one is expected at its next shift start, not in a
 * shift it is already missing.
 */
export function dutyIntervals(r: Resource, nowMs: number, fromMs: number, toMs: number): Interval[] {
  if (toMs <= Math.max(fromMs, nowMs)) return [];
  if (!LOGGED_IN.includes(r.state)) {
    if (!r.shift) return [];
    const { weekly, timezone } = r.shift;
    const upcoming = openIntervals(weekly, timezone, nowMs, toMs).filter(
      ([s]) => !(s === nowMs && isOpenAt(weekly, timezone, nowMs - 1)),
    );
    return clip(upcoming, fromMs, toMs);
  }
  const freeAt = stateFreeAt(r, nowMs);
  const onCall: Interval[] = ON_A_CALL.includes(r.state) && freeAt > nowMs ? [[nowMs, freeAt]] : [];
  if (!r.shift) return clip([...onCall, [freeAt, toMs]], fromMs, toMs);
  const shiftOpen = openIntervals(r.shift.weekly, r.shift.timezone, freeAt, toMs);
  const current = shiftOpen[0];
  if (current && current[0] <= freeAt) return clip([...onCall, ...shiftOpen], fromMs, toMs);
  // Logged in outside the shift (early, or staying late): on duty for a while, then by the shift.
  const offShiftEnd = Math.min(freeAt + OFF_SHIFT_GRACE_MS, current ? current[0] : toMs);
  return clip([...onCall, [freeAt, offShiftEnd], ...shiftOpen], fromMs, toMs);
}

/** Clips sorted intervals to [fromMs, toMs), joining those that touch. */
function clip(intervals: readonly Interval[], fromMs: number, toMs: number): Interval[] {
  const out: [number, number][] = [];
  for (const [s0, e0] of intervals) {
    const s = Math.max(s0, fromMs);
    const e = Math.min(e0, toMs);
    if (e <= s) continue;
    const prev = out[out.length - 1];
    if (prev && s <= prev[1]) prev[1] = Math.max(prev[1], e);
    else out.push([s, e]);
  }
  return out;
}

/**
 * When the resource is next free for one more piece of work: on duty and below its
 * capacity. Null when nothing within the horizon.
 */
export function expectedAvailableAt(r: Resource, reservations: readonly Reservation[], nowMs: number): number | null {
  const held = heldIntervals(r, reservations, nowMs);
  // Most answers lie within a day; look that far first, so the usual case stays cheap.
  for (const [from, to] of [
    [nowMs, nowMs + 86_400_000],
    [nowMs + 86_400_000, nowMs + HORIZON_MS],
  ]) {
    for (const [s, e] of dutyIntervals(r, nowMs, from, to)) {
      // Capacity changes only where a reservation starts or ends; test those instants in order.
      const candidates = [s, ...held.map(([, end]) => end).filter((t) => t > s && t < e)].sort((a, b) => a - b);
      for (const t of candidates) {
        if (peakOverlap(held, t, t + 1) < r.capacity) return t;
      }
    }
  }
  return null;
}

/** Free capacity of the resource over [startMs, endMs): zero unless on duty for the whole of it. */
export function freeCapacity(
  r: Resource,
  reservations: readonly Reservation[],
  nowMs: number,
  startMs: number,
  endMs: number,
): number {
  const held = heldIntervals(r, reservations, nowMs);
  // A full agent is known without the (costlier) shift arithmetic.
  if (peakOverlap(held, startMs, endMs) >= r.capacity) return 0;
  return capacityIn(r.capacity, dutyIntervals(r, nowMs, startMs, endMs), held, nowMs, startMs, endMs);
}

function capacityIn(
  capacity: number,
  duty: readonly Interval[],
  held: readonly Interval[],
  nowMs: number,
  startMs: number,
  endMs: number,
): number {
  const from = Math.max(startMs, nowMs);
  if (!duty.some(([s, e]) => s <= from && e >= endMs)) return 0;
  return Math.max(0, capacity - peakOverlap(held, startMs, endMs));
}

/** [startMs, endMs, units]: the resource can take `units` more pieces of work throughout. */
export type FreeSpan = readonly [startMs: number, endMs: number, units: number];

/**
 * When, within [fromMs, toMs), the resource can take more work (on duty, below its
 * capacity) and how much more. At most `limit` spans, earliest first: this is what the
 * mesh plans and offers slots from.
 */
export function freeIntervals(
  r: Resource,
  reservations: readonly Reservation[],
  nowMs: number,
  fromMs: number,
  toMs: number,
  limit: number,
): FreeSpan[] {
  const held = heldIntervals(r, reservations, nowMs);
  const out: FreeSpan[] = [];
  for (const [s, e] of dutyIntervals(r, nowMs, fromMs, toMs)) {
    // Fullness changes only where a reservation starts or ends inside the duty interval.
    const cuts = [...new Set([s, e, ...held.flatMap(([hs, he]) => [hs, he]).filter((t) => t > s && t < e)])].sort((a, b) => a - b);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [a, b] = [cuts[i] as number, cuts[i + 1] as number];
      const units = r.capacity - peakOverlap(held, a, b);
      if (units <= 0) continue;
      const prev = out[out.length - 1];
      if (prev && prev[1] === a && prev[2] === units) out[out.length - 1] = [prev[0], b, units];
      else if (out.length < limit) out.push([a, b, units]);
      else return out;
    }
  }
  return out;
}

/**
 * What takes the resource's units: its active reservations and, while it is on a call,
 * that call (one unit, until the state's end). A claimed reservation under way now is
 * the call itself (the cloud dialled it), so it is one unit until the later of both ends,
 * not two.
 */
export function heldIntervals(r: Resource, reservations: readonly Reservation[], nowMs: number): Interval[] {
  const active = reservations.filter((x) => isActive(x, nowMs));
  const callEnd = ON_A_CALL.includes(r.state) ? stateFreeAt(r, nowMs) : nowMs;
  if (callEnd <= nowMs) return active.map((x) => [x.startMs, x.endMs] as const);
  let current: Reservation | undefined;
  for (const x of active) {
    if (x.status === "claimed" && x.startMs <= nowMs && x.endMs > nowMs && (!current || x.endMs > current.endMs)) current = x;
  }
  const rest = active.filter((x) => x !== current).map((x) => [x.startMs, x.endMs] as const);
  return [[current ? current.startMs : nowMs, Math.max(callEnd, current ? current.endMs : callEnd)], ...rest];
}

export interface Slot {
  startMs: number;
  endMs: number;
  capacity: number;
}

/** Free capacity per slot, summed over the given resources (already filtered for skill and channel). */
export function slotCapacity(
  resources: readonly Resource[],
  reservationsOf: (agentId: string) => readonly Reservation[],
  nowMs: number,
  fromMs: number,
  toMs: number,
  slotMs: number,
): Slot[] {
  // Duty and reservations once per resource, not once per slot.
  const perResource = resources.map((r) => ({
    capacity: r.capacity,
    duty: dutyIntervals(r, nowMs, fromMs, toMs),
    held: heldIntervals(r, reservationsOf(r.id), nowMs),
  }));
  const slots: Slot[] = [];
  for (let s = fromMs; s + slotMs <= toMs; s += slotMs) {
    let capacity = 0;
    if (s + slotMs > nowMs) {
      for (const p of perResource) capacity += capacityIn(p.capacity, p.duty, p.held, nowMs, s, s + slotMs);
    }
    slots.push({ startMs: s, endMs: s + slotMs, capacity });
  }
  return slots;
}
