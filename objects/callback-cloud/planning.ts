/**
 * Planning: which agent, where and when, for callbacks that need one. It plans
 * callbacks together with the scheduler (scheduling/), reserves at the chosen site
 * (the roster is the authority: a refusal tries the next best, then lets the site
 * choose), lets callbacks holding agents give way when that serves both, moves a
 * request nobody can take in its window to the earliest slot that has someone, and
 * re-plans the callbacks of a site that went down.
 */
import type { MeshMember } from "../../federation/runtime/mesh-view.ts";
import type { CallbackStore } from "./callback-store.ts";
import { outcomeUnknown, type HoldReleases } from "./hold-releases.ts";
import { ALARM_BATCH, CLAIM_LEAD_MS, forEachLimited, iso, PREPARE_CONCURRENCY, REPLAN_INTERVAL_MS, type CloudContext } from "./cloud-context.ts";
import { canMove, isFinal, isTextChannel } from "./lifecycle.ts";
import type { ProviderRecord } from "./provider-record.ts";
import type { ProviderRegistration } from "./provider.ts";
import { slotsInWindow } from "./rules.ts";
import {
  movesBetween,
  planTogether,
  rankFor,
  refusalOf,
  replanRefused,
  resolveWeights,
  wasRefused,
  type CallbackNeed,
  type Move,
  type PlanResult,
  type Refusal,
  type SchedulingContext,
} from "./scheduling/index.ts";
import type { CallbackRow } from "./views.ts";

/** Reservations asked for one callback in one plan, at most (named agents, then sites choosing). */
export const MAX_TRIES = 12;
/** Callbacks holding agents in the contested slots that a plan may move, at most. */
const MAX_HOLDERS = 32;
/** How long a hold whose end was not kept (callbacks from before it was) is owed a release. */
const HOLD_FALLBACK_MS = 86_400_000;
/** Plans again on the view less what the sites refused, at most, in one planning. */
const REFUSAL_ROUNDS = 3;

export type PlanReason = "request" | "replan" | "transfer" | "lost";
/** One reservation to ask a site for; no agent: the site chooses. */
type Try = { siteId: string; agentId: string | null; startMs: number; level?: number };

export class Planner {
  constructor(
    private readonly c: CloudContext,
    private readonly store: CallbackStore,
    private readonly provider: ProviderRecord,
    private readonly releases: HoldReleases,
  ) {}

  /**
   * When the mesh view says a new callback could start, for the answer to its request:
   * the best placement's start (a text: its window's start). An estimate; the plan
   * that follows reserves, and may differ. Null when the view has nobody for it.
   */
  async estimate(cb: CallbackRow, now: number): Promise<number | null> {
    if (isTextChannel(cb.channel)) return Math.max(now, cb.window_start_ms);
    if (!cb.skill) return null;
    const reg = this.provider.must().registration;
    const slotMs = reg.rules.slotMinutes * 60_000;
    const members = await this.c.mesh().members(reg.sites);
    return rankFor(this.needOf(cb, now, slotMs, false), members, this.schedulingContext(reg, now, reg.sites))[0]?.startMs ?? null;
  }

  /**
   * Where the callback could be placed in its window, best first, as the mesh view ranks
   * it alone (a reschedule asks for these, and swaps holds itself: reschedule.ts).
   */
  async placements(cb: CallbackRow, now: number): Promise<{ siteId: string; agentId: string; startMs: number }[]> {
    if (!cb.skill) return [];
    const reg = this.provider.must().registration;
    const members = await this.c.mesh().members(reg.sites);
    return rankFor(this.needOf(cb, now, reg.rules.slotMinutes * 60_000, false), members, this.schedulingContext(reg, now, reg.sites));
  }

  /** Plans one callback: see `planMany`. */
  async plan(cb: CallbackRow, now: number, why: PlanReason, onlySite?: string): Promise<void> {
    await this.planMany([cb], now, why, onlySite);
  }

  /**
   * Plans callbacks together (scheduling/): the best agents of the whole mesh, as one
   * optimal assignment, so that one callback does not take the only agent another
   * needs. Callbacks already holding an agent in the slots these want (not yet
   * confirmed) take part too, and give way when that serves the whole better. Each
   * plan ends in a reservation at the chosen site; a refusal (409) tries the next
   * best, then lets each site choose. With nobody free in the window, a new request
   * gets the earliest slot that has someone, and the customer is told; otherwise the
   * callback waits (pending) and is planned again shortly, until its window closes.
   */
  async planMany(cbs: readonly CallbackRow[], now: number, why: PlanReason, onlySite?: string): Promise<void> {
    const reg = this.provider.must().registration;
    const voice: CallbackRow[] = [];
    for (const cb of cbs) {
      if (isTextChannel(cb.channel)) {
        // Texts need no agent: they go out at the window's start.
        const at = Math.max(now, cb.window_start_ms);
        this.store.move(cb, "scheduled", { due: at, scheduledFor: at }, "scheduled", { channel: cb.channel, at: iso(at) });
      } else if (!cb.skill) {
        this.wait(cb, now, why, "no intent was recognised and the provider has no generalist skill");
      } else {
        voice.push(cb);
      }
    }
    if (voice.length === 0) return;
    const slotMs = reg.rules.slotMinutes * 60_000;
    const siteIds = onlySite ? [onlySite] : reg.sites;
    const members = await this.c.mesh().members(siteIds);
    const ctx = this.schedulingContext(reg, now, siteIds);
    const needs = voice.map((cb) => this.needOf(cb, now, slotMs, false));
    const levelOf = (siteId: string, agentId: string, skill: string) =>
      members.find((m) => m.siteId === siteId)?.digest?.agents.find((a) => a.ref === agentId)?.skills[skill];
    const first = planTogether(needs, members, ctx);
    // When every callback got an agent at its level as early as it could start, no holder giving way could do
    // better for it: the callbacks holding agents in its slot are asked in only when one did not, or when the
    // sites refused what the view promised (it may be a second old).
    const ideal = needs.every((n) => {
      const p = first.placements.find((x) => x.callbackId === n.id);
      return p !== undefined && p.startMs <= n.earliestMs && (levelOf(p.siteId, p.agentId, n.skill) ?? 0) >= n.level;
    });
    const withHolders = async (left: readonly CallbackRow[]): Promise<PlanResult | null> => {
      const own = needs.filter((n) => left.some((cb) => cb.id === n.id));
      const holders = onlySite ? [] : this.slotHolders(own, slotMs).map((cb) => this.needOf(cb, now, slotMs, true));
      if (holders.length === 0) return null;
      const joint = planTogether([...own, ...holders], members, ctx);
      await this.giveWay(movesBetween(holders, joint, slotMs), now, slotMs);
      return joint;
    };
    let refusals: Refusal[] = [];
    let result = ideal ? first : ((await withHolders(voice)) ?? first);
    const unlisted = (cb: CallbackRow) => sitesWithUnlisted(members, cb.skill as string, cb.skill_level);
    let left = await this.reserveAll(voice, result, now, slotMs, levelOf, refusals, unlisted);
    if (left.length > 0 && ideal) {
      const joint = await withHolders(left);
      if (joint) {
        // Holders gave way: what the sites refused before may be free now.
        refusals = [];
        result = joint;
        left = await this.reserveAll(left, joint, now, slotMs, levelOf, refusals);
      }
    }
    // The sites refused what the view promised: plan those left on the view less the refusals (another agent, or the
    // same one later in the window), a few rounds while each learns something, rather than wait for the next re-plan.
    for (let round = 0; left.length > 0 && refusals.length > 0 && round < REFUSAL_ROUNDS; round++) {
      const seen = refusals.length;
      result = replanRefused(needs.filter((n) => left.some((cb) => cb.id === n.id)), members, refusals, ctx);
      if (result.placements.length === 0) break;
      left = await this.reserveAll(left, result, now, slotMs, levelOf, refusals);
      if (refusals.length === seen) break;
    }
    for (const cb of left) {
      const outside = result.unplaced.find((u) => u.callbackId === cb.id)?.earliestOutsideMs ?? null;
      if (why === "request" && outside !== null && (await this.moveOutsideWindow(cb, outside, members, ctx, now, slotMs))) continue;
      const down = members.filter((m) => m.health !== "up").map((m) => m.siteId);
      this.wait(cb, now, why, `no agent with ${cb.skill} is free before the window closes${down.length ? ` (unreachable: ${down.join(", ")})` : ""}`);
    }
  }

  /** Reserves each callback's placement (or the next best, or what its sites choose); answers those left without. */
  private async reserveAll(
    cbs: readonly CallbackRow[],
    result: PlanResult,
    now: number,
    slotMs: number,
    levelOf: (siteId: string, agentId: string, skill: string) => number | undefined,
    refusals?: Refusal[],
    unlisted: (cb: CallbackRow) => string[] = () => [],
  ): Promise<CallbackRow[]> {
    const placed = new Map(result.placements.map((p) => [p.callbackId, p]));
    const left: CallbackRow[] = [];
    await forEachLimited(cbs, PREPARE_CONCURRENCY, async (cb) => {
      const best = placed.get(cb.id);
      const named: Try[] = (best ? [best, ...(result.alternatives.get(cb.id) ?? [])] : []).map((p) => ({
        siteId: p.siteId,
        agentId: p.agentId,
        startMs: p.startMs,
        level: levelOf(p.siteId, p.agentId, cb.skill as string),
      }));
      // The view may be a second old, and the site knows better: when the plan has to wait, each site first
      // chooses whoever it has free at the earliest start (the strongest); after the named agents, at theirs.
      const earliest = Math.max(now, cb.window_start_ms);
      const sites = [...new Set(named.map((t) => t.siteId))];
      const siteChooses = (startMs: number): Try[] => sites.map((siteId) => ({ siteId, agentId: null, startMs }));
      // Sites whose summary counts agents they do not list (public ones; every agent of a member capped at public):
      // the plan cannot name them, so those sites choose, at the earliest start, after the named ones.
      const bySummary = unlisted(cb)
        .filter((siteId) => !sites.includes(siteId))
        .map((siteId): Try => ({ siteId, agentId: null, startMs: earliest }));
      const tries = [
        ...(best && best.startMs > earliest ? siteChooses(earliest) : []),
        ...named,
        ...(best ? siteChooses(best.startMs) : []),
        ...bySummary,
      ].filter((t) => !refusals || !wasRefused(refusals, t));
      if (!(await this.reserveFirst(cb, tries, now, slotMs, {}, refusals))) left.push(this.store.mustGet(cb.id));
    });
    return left;
  }

  /** What the scheduler weighs for this provider now: its weights, its sites' cost, and their load. */
  private schedulingContext(reg: ProviderRegistration, now: number, siteIds: readonly string[]): SchedulingContext {
    const load = this.c.sql<{ site_id: string; n: number }>`SELECT site_id, count(*) AS n FROM callbacks
      WHERE site_id IS NOT NULL AND status IN ('scheduled', 'retrying') GROUP BY site_id LIMIT 100`.toArray();
    const place = this.provider.must();
    return {
      nowMs: now,
      slotMs: reg.rules.slotMinutes * 60_000,
      siteIds,
      costTier: reg.scheduling?.costTiers,
      siteLoad: Object.fromEntries(load.map((r) => [r.site_id, r.n])),
      // Shard k of n starts its ties k/n of the way down each site's list: sibling shards meet less.
      tieStart: place.shard / place.shards,
      weights: resolveWeights(reg.scheduling?.weights),
    };
  }

  /** When a site chooses the agent: what the scheduler would weigh among that site's agents (roster/choose-agent.ts). */
  private siteChoice(cb: CallbackRow, siteId: string) {
    const previous = this.previousAgent(cb);
    const weights = this.provider.must().registration.scheduling?.weights;
    return {
      level: cb.skill_level,
      language: cb.language,
      ...(previous?.site_id === siteId ? { previousAgent: previous.agent_id } : {}),
      ...(weights ? { weights } : {}),
    };
  }

  /** The agent this customer last spoke to, if any. */
  private previousAgent(cb: CallbackRow): { site_id: string; agent_id: string } | undefined {
    return this.c.sql<{ site_id: string; agent_id: string }>`SELECT site_id, agent_id FROM callbacks
      WHERE user_id = ${cb.user_id} AND id != ${cb.id} AND agent_id IS NOT NULL AND status IN ('connected', 'completed', 'answered')
      ORDER BY updated_at_ms DESC LIMIT 1`.toArray()[0];
  }

  /** What one callback needs of an agent; `held`: with the hold it has (a re-plan may move it). */
  private needOf(cb: CallbackRow, now: number, slotMs: number, held: boolean): CallbackNeed {
    const previous = this.previousAgent(cb);
    return {
      id: cb.id,
      skill: cb.skill as string,
      level: cb.skill_level,
      channel: cb.channel,
      language: cb.language,
      earliestMs: Math.max(now, cb.window_start_ms),
      latestStartMs: cb.window_end_ms - slotMs,
      asap: cb.asap === 1,
      priority: cb.priority,
      ...(previous ? { previousAgent: { siteId: previous.site_id, agentId: previous.agent_id } } : {}),
      ...(held && cb.site_id && cb.agent_id && cb.scheduled_for_ms !== null
        ? { current: { siteId: cb.site_id, agentId: cb.agent_id, startMs: cb.scheduled_for_ms } }
        : {}),
    };
  }

  /** Callbacks holding an agent (not yet confirmed) in the slots these needs want first. */
  private slotHolders(needs: readonly CallbackNeed[], slotMs: number): CallbackRow[] {
    const from = Math.min(...needs.map((n) => n.earliestMs)) - slotMs;
    const to = Math.max(...needs.map((n) => n.earliestMs)) + slotMs;
    const planning = new Set(needs.map((n) => n.id));
    return this.c.sql<CallbackRow>`SELECT * FROM callbacks WHERE status = 'scheduled' AND claimed_at_ms IS NULL
      AND reservation_id IS NOT NULL AND scheduled_for_ms > ${from} AND scheduled_for_ms < ${to}
      ORDER BY scheduled_for_ms LIMIT ${MAX_HOLDERS}`
      .toArray()
      .filter((cb) => !planning.has(cb.id) && !isTextChannel(cb.channel));
  }

  /**
   * Moves holders to the agents the joint plan gives them: the new agent is reserved
   * before the old one is released, so a move that fails leaves the callback as it
   * was. Moves that wait on each other in a circle are left alone.
   */
  private async giveWay(moves: readonly Move[], now: number, slotMs: number): Promise<void> {
    for (const m of moves) {
      if (!m.to || m.releaseFirst) continue;
      const cb = this.store.mustGet(m.callbackId);
      if (cb.status !== "scheduled" || cb.claimed_at_ms !== null || cb.agent_id !== m.from.agentId) continue;
      const request = {
        callbackId: cb.id,
        agentId: m.to.agentId,
        skill: cb.skill as string,
        channel: cb.channel,
        start: iso(m.to.startMs),
        end: iso(m.to.startMs + slotMs),
      };
      const answer = await this.c.sites.reserve(m.to.siteId, request);
      // Later moves may count on this one: stop at the first refusal.
      if (!answer.ok) {
        if (outcomeUnknown(answer)) this.releases.oweSweep(m.to.siteId, request, m.to.startMs + slotMs, now);
        return;
      }
      const oldReservation = cb.reservation_id;
      if (cb.site_id !== m.to.siteId || cb.agent_id !== answer.value.agentId) this.store.leaving(cb);
      this.c.sql`UPDATE callbacks SET site_id = ${m.to.siteId}, agent_id = ${answer.value.agentId}, reservation_id = ${answer.value.id},
        reserved_until_ms = ${m.to.startMs + slotMs} WHERE id = ${cb.id}`;
      this.store.move(cb, "scheduled", { due: Math.max(now, m.to.startMs - CLAIM_LEAD_MS), scheduledFor: m.to.startMs }, "replanned", {
        reason: "another callback needed its agent; planned together, both are served",
        at: iso(m.to.startMs),
        siteId: m.to.siteId,
        agentId: answer.value.agentId,
      });
      if (oldReservation) await this.releases.release({ siteId: m.from.siteId, reservationId: oldReservation, untilMs: cb.reserved_until_ms ?? now + HOLD_FALLBACK_MS }, now);
    }
  }

  /** Reserves the first of `tries` its site accepts; answers whether one did. */
  private async reserveFirst(
    cb: CallbackRow,
    tries: readonly Try[],
    now: number,
    slotMs: number,
    detail: Record<string, unknown> = {},
    refusals?: Refusal[],
  ): Promise<boolean> {
    for (const t of tries.slice(0, MAX_TRIES)) {
      const request = {
        callbackId: cb.id,
        ...(t.agentId ? { agentId: t.agentId } : { choose: this.siteChoice(cb, t.siteId) }),
        skill: cb.skill as string,
        channel: cb.channel,
        start: iso(t.startMs),
        end: iso(t.startMs + slotMs),
      };
      const answer = await this.c.sites.reserve(t.siteId, request);
      if (!answer.ok) {
        if (outcomeUnknown(answer)) this.releases.oweSweep(t.siteId, request, t.startMs + slotMs, now);
        // A site out of room says the view was wrong about that agent: the next round plans without it.
        const refused = refusalOf(t, { skill: cb.skill as string, channel: cb.channel }, slotMs, answer);
        if (refused) refusals?.push(refused);
        continue;
      }
      const fresh = this.store.mustGet(cb.id);
      if (fresh.status !== cb.status || isFinal(fresh.status) || (fresh.reservation_id !== null && fresh.reservation_id !== answer.value.id)) {
        // Cancelled, answered or planned elsewhere while we were reserving: give the agent back.
        await this.releases.release({ siteId: t.siteId, reservationId: answer.value.id, untilMs: t.startMs + slotMs }, now);
        return true;
      }
      const agentId = answer.value.agentId;
      if (fresh.site_id !== t.siteId || fresh.agent_id !== agentId) this.store.leaving(fresh);
      this.c.sql`UPDATE callbacks SET site_id = ${t.siteId}, agent_id = ${agentId}, reservation_id = ${answer.value.id},
        claimed_at_ms = NULL, reserved_until_ms = ${t.startMs + slotMs} WHERE id = ${cb.id}`;
      // Due a little early: the reservation is confirmed ahead, so the call itself goes out on time.
      const due = Math.max(now, t.startMs - CLAIM_LEAD_MS);
      this.store.move(fresh, "scheduled", { due, scheduledFor: t.startMs }, "scheduled", { at: iso(t.startMs), channel: cb.channel, ...detail });
      this.store.event(cb.id, now, "agent_assigned", { siteId: t.siteId, agentId, ...(t.agentId && t.level ? { level: t.level } : {}) });
      return true;
    }
    return false;
  }

  /**
   * Nobody fits the requested window: the callback takes the earliest slot after it,
   * within the provider's hours, that an agent has free, and says so.
   */
  private async moveOutsideWindow(
    cb: CallbackRow,
    fromMs: number,
    members: MeshMember[],
    ctx: SchedulingContext,
    now: number,
    slotMs: number,
  ): Promise<boolean> {
    const reg = this.provider.must().registration;
    const slot = slotsInWindow(reg.rules, reg.timezone, fromMs, fromMs + 14 * 86_400_000, now, 1)[0];
    if (!slot) return false;
    const need = { ...this.needOf(cb, now, slotMs, false), earliestMs: slot.startMs, latestStartMs: slot.startMs + 86_400_000, asap: true };
    const ranked = rankFor(need, members, ctx);
    // Only at provider slots: an agent free from 10:07 is offered the 10:15 slot.
    const tries = ranked.flatMap((p) => {
      const at = slotsInWindow(reg.rules, reg.timezone, p.startMs, p.startMs + 86_400_000, now, 1)[0]?.startMs;
      return at === undefined ? [] : [{ siteId: p.siteId, agentId: p.agentId, startMs: at }];
    });
    const original = { start: iso(cb.window_start_ms), end: iso(cb.window_end_ms) };
    for (const t of tries) {
      if (!(await this.reserveFirst(cb, [t], now, slotMs, { outsideWindow: true }))) continue;
      this.c.sql`UPDATE callbacks SET window_start_ms = ${t.startMs}, window_end_ms = ${t.startMs + slotMs} WHERE id = ${cb.id}`;
      this.store.event(cb.id, now, "rescheduled", {
        reason: "no agent is free within the requested window; this is the earliest time one is",
        requested: original,
        at: iso(t.startMs),
      });
      return true;
    }
    return false;
  }

  /** Nobody fits now: the callback waits (pending) and is planned again shortly, until its window closes. */
  private wait(cb: CallbackRow, now: number, why: PlanReason, reason: string): void {
    const next = Math.min(now + REPLAN_INTERVAL_MS, cb.window_end_ms);
    const fresh = this.store.mustGet(cb.id);
    // Something else moved it while we asked the sites (planned it, cancelled it): leave it be.
    if (fresh.status !== cb.status || fresh.reservation_id !== cb.reservation_id) return;
    if (fresh.status === "pending") {
      // No time to show while nobody fits (the answer's estimate, if any, did not hold).
      this.c.sql`UPDATE callbacks SET due_at_ms = ${next}, scheduled_for_ms = NULL, updated_at_ms = ${now} WHERE id = ${cb.id}`;
      if (why !== "replan" || !this.store.hasEvent(cb.id, "waiting")) this.store.event(cb.id, now, "waiting", { reason });
    } else if (canMove(fresh.status, "pending")) {
      this.store.move(fresh, "pending", { due: next, scheduledFor: null }, "waiting", { reason });
    }
  }

  /**
   * A member went down: every callback reserved there, not yet being called, is
   * planned again now (elsewhere if anyone fits), with an event that says why.
   */
  siteDown(siteId: string): number {
    const now = this.c.now();
    const affected = this.c.sql<CallbackRow>`SELECT * FROM callbacks WHERE site_id = ${siteId}
      AND status IN ('scheduled', 'retrying') LIMIT ${ALARM_BATCH}`.toArray();
    for (const cb of affected) {
      // The customer reads `reason`; which site went down (`why`, `siteId`) is for staff.
      this.store.event(cb.id, now, "replanned", { reason: "the team that was to call you became unavailable; planning again", why: `site ${siteId} went down`, siteId });
      // Its hold there is released when the site answers again (it may not be down at all), or expires by itself.
      if (cb.reservation_id) this.releases.owe({ siteId, reservationId: cb.reservation_id, untilMs: cb.reserved_until_ms ?? now + HOLD_FALLBACK_MS }, now);
      this.store.forgetAgent(cb.id);
      this.c.sql`UPDATE callbacks SET due_at_ms = ${now} WHERE id = ${cb.id}`;
    }
    return affected.length;
  }

  /** Gives the callback's agent back: now, or when its site answers again (hold-releases.ts). */
  async releaseReservation(cb: CallbackRow): Promise<void> {
    if (!cb.site_id || !cb.reservation_id) return;
    const now = this.c.now();
    await this.releases.release({ siteId: cb.site_id, reservationId: cb.reservation_id, untilMs: cb.reserved_until_ms ?? now + HOLD_FALLBACK_MS }, now);
  }
}

/**
 * Members up whose digest summary counts agents with this skill (at this level) that it
 * does not list one by one: a site that books its public agents itself, or a member
 * capped at public exposure. Whether one is free at the time asked, the site answers.
 */
export function sitesWithUnlisted(members: readonly MeshMember[], skill: string, level: number): string[] {
  return members
    .filter((m) => {
      const summary = m.health === "up" ? m.digest?.skills[skill] : undefined;
      if (!m.digest || !summary || summary.maxLevel < level) return false;
      const listed = m.digest.agents.filter((a) => (a.skills[skill] ?? 0) > 0).length;
      return summary.agents > listed;
    })
    .map((m) => m.siteId);
}
