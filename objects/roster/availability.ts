/**
 * Expected availability and free capacity: pure functions of a resource, the
 * reservations it holds and the time.
 */
import { nextOpenAt, openIntervals, type Interval } from "../shared/weekly-hours.ts";
import type { Reservation, Resource } from "./model.ts";
import type { AgentState } from "./state-machine.ts";

/** Assumed remaining time of a call or wrap-up reported without `until`. */
export const BUSY_ESTIMATE_MS = 5 * 60_000;
export const WRAP_UP_ESTIMATE_MS = 60_000;
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

/** When the resource's own state lets it take work, before shifts and reservations; null when not foreseeable. */
function stateFreeAt(r: Resource, nowMs: number): number | null {
  switch (r.state) {
    case "available":
    case "on_call":
      return nowMs;
    case "busy":
      return Math.max(nowMs, r.untilMs ?? nowMs + BUSY_ESTIMATE_MS);
    case "wrap_up":
      return Math.max(nowMs, r.untilMs ?? nowMs + WRAP_UP_ESTIMATE_MS);
    case "break":
      return Math.max(nowMs, r.untilMs ?? nowMs);
    case "offline":
    case "unreachable":
      return r.shift ? nextOpenAt(r.shift.weekly, r.shift.timezone, nowMs, undefined, HORIZON_MS / 86_400_000) : null;
  }
}

/**
 * The intervals in [fromMs, toMs) during which the resource is on duty. A logged-in
 * resource is on duty from when its state frees it until its shift ends (or, with no
 * shift, indefinitely); after that, and for a logged-out one, its shift decides.
 * Unreachable resources are on duty only from their next shift on.
 */
export function dutyIntervals(r: Resource, nowMs: number, fromMs: number, toMs: number): Interval[] {
  const freeAt = stateFreeAt(r, nowMs);
  if (freeAt === null) return [];
  const from = Math.max(fromMs, freeAt);
  if (from >= toMs) return [];
  if (!r.shift) return LOGGED_IN.includes(r.state) ? [[from, toMs]] : [];
  const shiftOpen = openIntervals(r.shift.weekly, r.shift.timezone, from, toMs);
  if (!LOGGED_IN.includes(r.state)) return shiftOpen;
  // Logged in now: on duty until the shift they are in (or nearest) closes, then by the shift.
  const current = shiftOpen[0];
  if (current && current[0] <= from) return shiftOpen;
  const firstClose = current ? current[0] : toMs;
  return [[from, firstClose] as Interval, ...shiftOpen].filter(([s, e]) => e > s);
}

/**
 * When the resource is next free for one more piece of work: on duty and below its
 * capacity. Null when nothing within the horizon.
 */
export function expectedAvailableAt(r: Resource, reservations: readonly Reservation[], nowMs: number): number | null {
  const held = activeIntervals(reservations, nowMs);
  for (const [s, e] of dutyIntervals(r, nowMs, nowMs, nowMs + HORIZON_MS)) {
    // Capacity changes only where a reservation starts or ends; test those instants in order.
    const candidates = [s, ...held.map(([, end]) => end).filter((t) => t > s && t < e)].sort((a, b) => a - b);
    for (const t of candidates) {
      if (peakOverlap(held, t, t + 1) < r.capacity) return t;
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
  const duty = dutyIntervals(r, nowMs, startMs, endMs);
  const covered = duty.some(([s, e]) => s <= Math.max(startMs, nowMs) && e >= endMs);
  if (!covered) return 0;
  return Math.max(0, r.capacity - peakOverlap(activeIntervals(reservations, nowMs), startMs, endMs));
}

export function activeIntervals(reservations: readonly Reservation[], nowMs: number): Interval[] {
  return reservations.filter((x) => isActive(x, nowMs)).map((x) => [x.startMs, x.endMs] as const);
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
  const slots: Slot[] = [];
  for (let s = fromMs; s + slotMs <= toMs; s += slotMs) {
    let capacity = 0;
    if (s + slotMs > nowMs) {
      for (const r of resources) capacity += freeCapacity(r, reservationsOf(r.id), nowMs, s, s + slotMs);
    }
    slots.push({ startMs: s, endMs: s + slotMs, capacity });
  }
  return slots;
}
