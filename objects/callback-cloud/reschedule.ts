/**
 * A customer moves their callback to another window. The new window is checked against
 * the rules as a new request's is, and an agent is reserved in it before anything else
 * changes: only once the new hold is the callback's is the old one given back. When
 * nobody can take it in the new window, the answer says so (409, with the earliest time
 * the rules allow) and the callback keeps its time and its agent: trying to move a
 * callback never loses it.
 */
import { fail, ok, type Result } from "../shared/problem.ts";
import type { AlarmSchedule } from "./alarm-schedule.ts";
import type { CallbackStore } from "./callback-store.ts";
import { CLAIM_LEAD_MS, iso, notFound, type Actor, type CloudContext } from "./cloud-context.ts";
import { outcomeUnknown, type HoldReleases } from "./hold-releases.ts";
import { requestedWindow } from "./intake.ts";
import { isTextChannel } from "./lifecycle.ts";
import { MAX_TRIES, type Planner } from "./planning.ts";
import type { ProviderRecord } from "./provider-record.ts";
import type { CallbackWhen } from "./requests.ts";
import type { CallbackStatus } from "../../federation/wire/vocabulary.ts";
import type { CallbackRow, CallbackView } from "./views.ts";

/** A callback may move until its call is about to start (its agent confirmed) or under way. */
const MOVABLE: readonly CallbackStatus[] = ["pending", "scheduled", "retrying"];

export class Rescheduler {
  constructor(
    private readonly c: CloudContext,
    private readonly store: CallbackStore,
    private readonly provider: ProviderRecord,
    private readonly planner: Planner,
    private readonly releases: HoldReleases,
    private readonly alarm: AlarmSchedule,
  ) {}

  async reschedule(confirmation: string, actor: Actor, when: CallbackWhen): Promise<Result<CallbackView>> {
    const cb = await this.store.visible(confirmation, actor);
    if (!cb) return notFound();
    if (!MOVABLE.includes(cb.status) || cb.claimed_at_ms !== null) {
      return fail(409, "cannot_reschedule", `a callback that is ${cb.claimed_at_ms !== null ? "about to be called" : cb.status} cannot be moved`, { status: cb.status });
    }
    const reg = this.provider.must().registration;
    const now = this.c.now();
    const checked = requestedWindow(reg, when, now);
    if (!checked.ok) return checked;
    const window = { startMs: checked.value.startMs, endMs: checked.value.endMs };
    const asap = "asap" in when ? 1 : 0;
    const requested = { start: iso(window.startMs), end: iso(window.endMs) };

    if (isTextChannel(cb.channel)) {
      // A text needs no agent: it goes out at the new window's start.
      const at = Math.max(now, window.startMs);
      this.c.sql`UPDATE callbacks SET window_start_ms = ${window.startMs}, window_end_ms = ${window.endMs}, asap = ${asap} WHERE id = ${cb.id}`;
      this.store.move(cb, "scheduled", { due: at, scheduledFor: at }, "rescheduled", { by: actor.role, requested, at: iso(at) });
      await this.alarm.rearm();
      return ok(this.store.view(this.store.mustGet(cb.id), actor));
    }

    const slotMs = reg.rules.slotMinutes * 60_000;
    const moved: CallbackRow = { ...cb, window_start_ms: window.startMs, window_end_ms: window.endMs, asap };
    for (const t of (await this.planner.placements(moved, now)).slice(0, MAX_TRIES)) {
      // At the site of its hold, the site swaps the two in one write; elsewhere the old one goes once the new one holds.
      const sameSite = cb.site_id === t.siteId && cb.reservation_id !== null;
      const request = {
        callbackId: cb.id,
        agentId: t.agentId,
        skill: cb.skill as string,
        channel: cb.channel,
        start: iso(t.startMs),
        end: iso(t.startMs + slotMs),
        ...(sameSite ? { replaces: cb.reservation_id as string } : {}),
      };
      const answer = await this.c.sites.reserve(t.siteId, request);
      if (!answer.ok) {
        // A lost swap at the hold's own site is not swept: asked again, it would name the hold that may now be the callback's only one.
        if (!sameSite && outcomeUnknown(answer)) this.releases.oweSweep(t.siteId, request, t.startMs + slotMs, now);
        continue;
      }
      const fresh = this.store.mustGet(cb.id);
      if (fresh.status !== cb.status || fresh.reservation_id !== cb.reservation_id || fresh.claimed_at_ms !== null) {
        // It changed while the sites were asked (cancelled, planned, called): the new hold is not needed. (At the
        // same site the old one went with it: the callback, changed, no longer counts on it.)
        await this.releases.release({ siteId: t.siteId, reservationId: answer.value.id, untilMs: t.startMs + slotMs }, now);
        return fail(409, "callback_changed", "the callback changed while it was being moved; read it and try again", { status: fresh.status });
      }
      const old =
        fresh.site_id && fresh.reservation_id && !sameSite ? { siteId: fresh.site_id, reservationId: fresh.reservation_id, untilMs: fresh.reserved_until_ms ?? now } : null;
      const agentId = answer.value.agentId;
      if (fresh.site_id !== t.siteId || fresh.agent_id !== agentId) this.store.leaving(fresh);
      this.c.sql`UPDATE callbacks SET window_start_ms = ${window.startMs}, window_end_ms = ${window.endMs}, asap = ${asap},
        site_id = ${t.siteId}, agent_id = ${agentId}, reservation_id = ${answer.value.id}, claimed_at_ms = NULL,
        reserved_until_ms = ${t.startMs + slotMs} WHERE id = ${cb.id}`;
      this.store.move(fresh, "scheduled", { due: Math.max(now, t.startMs - CLAIM_LEAD_MS), scheduledFor: t.startMs }, "rescheduled", {
        by: actor.role,
        requested,
        at: iso(t.startMs),
      });
      this.store.event(cb.id, now, "agent_assigned", { siteId: t.siteId, agentId });
      // Only now, with the new hold the callback's, is the old one given back.
      if (old) await this.releases.release(old, now);
      await this.alarm.rearm();
      return ok(this.store.view(this.store.mustGet(cb.id), actor));
    }
    return fail(409, "no_agent_in_window", "nobody can take the callback in that window; it keeps its time", {
      requested,
      scheduledFor: cb.scheduled_for_ms === null ? null : iso(cb.scheduled_for_ms),
    });
  }
}
