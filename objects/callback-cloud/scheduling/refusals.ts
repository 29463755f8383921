/**
 * What a site's refusal teaches the plan. The mesh view may be a second old and is shared
 * by every request of that second, so a burst of plans names the same free units, and the
 * site refuses (409) once other callbacks took them. Planned again on the view less what
 * the sites refused, a callback goes to what is really left (another agent, or the same
 * one later in its window) rather than waiting a minute for the next re-plan.
 */
import type { DigestAgent } from "../../../federation/wire/digest.ts";
import type { MeshMember } from "../../../federation/runtime/mesh-view.ts";
import { planTogether } from "./plan.ts";
import type { CallbackNeed, PlanResult, SchedulingContext } from "./types.ts";

/** A reservation a site refused for want of capacity. */
export interface Refusal {
  siteId: string;
  /** The agent named; null when the site chose (then none of its agents with the skill and channel had room). */
  agentId: string | null;
  skill: string;
  channel: string;
  startMs: number;
  endMs: number;
}

/** What was asked of a site, and what it answered, in the shape the callback cloud has them. */
export interface ReservationTry {
  siteId: string;
  agentId: string | null;
  startMs: number;
}

/**
 * The refusal an answer is, or null. Only "no capacity" says the view was wrong about the
 * agent's units; a timeout, a site down or another conflict says nothing about them.
 */
export function refusalOf(
  t: ReservationTry,
  need: { skill: string; channel: string },
  slotMs: number,
  answer: { ok: boolean; status?: number; code?: string },
): Refusal | null {
  if (answer.ok || answer.status !== 409 || answer.code !== "no_capacity") return null;
  return { siteId: t.siteId, agentId: t.agentId, skill: need.skill, channel: need.channel, startMs: t.startMs, endMs: t.startMs + slotMs };
}

/** Whether the site already refused this very try: asking again, unchanged, in the same plan is a wasted round trip. */
export function wasRefused(refusals: readonly Refusal[], t: ReservationTry): boolean {
  return refusals.some((r) => r.siteId === t.siteId && r.agentId === t.agentId && r.startMs === t.startMs);
}

type Span = [number, number | null, number];

/**
 * The members as the refusals show them: each refused agent has no unit free over the
 * refused span (the site said it is full somewhere inside it, not where, so all of it
 * goes), and a site that could not choose has none among its agents with the skill and
 * channel. Digests are never changed: refused agents get copies.
 */
export function withRefusals(members: readonly MeshMember[], refusals: readonly Refusal[]): MeshMember[] {
  if (refusals.length === 0) return [...members];
  return members.map((m) => {
    const here = refusals.filter((r) => r.siteId === m.siteId);
    if (!m.digest || here.length === 0) return m;
    let changed = false;
    const agents = m.digest.agents.map((a) => {
      const cuts = here.filter((r) => (r.agentId === null ? servesKind(a, r.skill, r.channel) : r.agentId === a.ref));
      if (cuts.length === 0) return a;
      changed = true;
      let spans = spansOf(a);
      for (const c of cuts) spans = without(spans, c.startMs, c.endMs);
      return { ...a, free: spans.map(([s, e, n]): NonNullable<DigestAgent["free"]>[number] => (n === 1 ? [s, e] : [s, e, n])) };
    });
    return changed ? { ...m, digest: { ...m.digest, agents } } : m;
  });
}

/**
 * The next plan for callbacks no site accepted: on the view less every refusal so far.
 * Each round removes what it was refused, so rounds end; a plan that places none still
 * tells, in `unplaced`, the earliest start after each window that the view leaves.
 */
export function replanRefused(
  needs: readonly CallbackNeed[],
  members: readonly MeshMember[],
  refusals: readonly Refusal[],
  ctx: SchedulingContext,
): PlanResult {
  return planTogether(needs, withRefusals(members, refusals), ctx);
}

function servesKind(a: DigestAgent, skill: string, channel: string): boolean {
  return (a.skills[skill] ?? 0) >= 1 && (a.channels as readonly string[]).includes(channel);
}

/** The agent's free spans as [start, end (null: open), units]; without `free`, one unit from its expected availability. */
function spansOf(a: DigestAgent): Span[] {
  if (a.free) return a.free.map(([s, e, n]) => [s, e, n ?? 1]);
  return a.expectedAvailableAtMs === null ? [] : [[a.expectedAvailableAtMs, null, 1]];
}

function without(spans: readonly Span[], fromMs: number, toMs: number): Span[] {
  const out: Span[] = [];
  for (const [s, e, n] of spans) {
    const end = e ?? Number.POSITIVE_INFINITY;
    if (end <= fromMs || s >= toMs) {
      out.push([s, e, n]);
      continue;
    }
    if (s < fromMs) out.push([s, fromMs, n]);
    if (end > toMs) out.push([toMs, e, n]);
  }
  return out;
}
