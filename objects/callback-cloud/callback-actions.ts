/**
 * What people do to a callback after it is accepted: customers read and cancel it
 * (with their verifier), staff annotate, answer in writing, transfer and complete it,
 * and a provider's own media server reports call progress, signed.
 */
import { fail, ok, type Result } from "../shared/problem.ts";
import type { AlarmSchedule } from "./alarm-schedule.ts";
import type { CallbackStore } from "./callback-store.ts";
import { illegal, notFound, type Actor, type CloudContext } from "./cloud-context.ts";
import { canMove, isFinal } from "./lifecycle.ts";
import type { Planner } from "./planning.ts";
import type { ProviderRecord } from "./provider-record.ts";
import type { CompleteBody, TransferBody } from "./requests.ts";
import type { SessionManager } from "./session-manager.ts";
import { verify as verifySignature } from "./signing.ts";
import type { AttemptRow, CallbackView } from "./views.ts";
import type { AttemptOutcome } from "../../federation/wire/vocabulary.ts";

/** Notes a callback takes at most: its history must stay readable (and its events bounded). */
export const MAX_ANNOTATIONS = 100;

export class CallbackActions {
  constructor(
    private readonly c: CloudContext,
    private readonly store: CallbackStore,
    private readonly provider: ProviderRecord,
    private readonly planner: Planner,
    private readonly session: SessionManager,
    private readonly alarm: AlarmSchedule,
  ) {}

  async status(confirmation: string, actor: Actor): Promise<Result<CallbackView>> {
    const cb = await this.store.visible(confirmation, actor);
    if (!cb) return notFound();
    if (actor.role === "agent" && !this.store.hasEvent(cb.id, "viewed")) {
      this.store.event(cb.id, this.c.now(), "viewed", { by: "agent" });
    }
    return ok(this.store.view(this.store.mustGet(cb.id), actor));
  }

  async cancel(confirmation: string, actor: Actor): Promise<Result<CallbackView>> {
    const cb = await this.store.visible(confirmation, actor);
    if (!cb) return notFound();
    if (cb.status === "cancelled") return ok(this.store.view(cb, actor));
    if (!canMove(cb.status, "cancelled")) return illegal(cb.status, "cancelled");
    await this.planner.releaseReservation(cb);
    this.store.move(cb, "cancelled", { due: null }, "cancelled", { by: actor.role });
    await this.alarm.rearm();
    return ok(this.store.view(this.store.mustGet(cb.id), actor));
  }

  async annotate(confirmation: string, actor: Actor, text: string): Promise<Result<CallbackView>> {
    const cb = await this.store.visible(confirmation, actor);
    if (!cb) return notFound();
    // Bounded, so that notes cannot bury a callback's history (or fill its shard).
    const notes = this.c.sql<{ n: number }>`SELECT count(*) AS n FROM events WHERE callback_id = ${cb.id} AND type = 'annotated'`.one().n;
    if (notes >= MAX_ANNOTATIONS) {
      return fail(409, "too_many_annotations", `a callback takes at most ${MAX_ANNOTATIONS} notes`, { max: MAX_ANNOTATIONS });
    }
    this.store.event(cb.id, this.c.now(), "annotated", { by: actor.role, text });
    return ok(this.store.view(cb, actor));
  }

  /** The agent answers in writing instead of calling; the customer sees the answer. */
  async answer(confirmation: string, actor: Actor, text: string): Promise<Result<CallbackView>> {
    const cb = await this.store.visible(confirmation, actor);
    if (!cb) return notFound();
    if (!canMove(cb.status, "answered")) return illegal(cb.status, "answered");
    await this.planner.releaseReservation(cb);
    this.c.sql`UPDATE callbacks SET answer = ${text} WHERE id = ${cb.id}`;
    this.store.move(cb, "answered", { due: null }, "answered", { by: actor.role });
    await this.alarm.rearm();
    return ok(this.store.view(this.store.mustGet(cb.id), actor));
  }

  async transfer(confirmation: string, actor: Actor, to: TransferBody): Promise<Result<CallbackView>> {
    const cb = await this.store.visible(confirmation, actor);
    if (!cb) return notFound();
    if (isFinal(cb.status) || cb.status === "dialing" || cb.status === "connected") {
      return fail(409, "cannot_transfer", `a ${cb.status} callback cannot be transferred`, { status: cb.status });
    }
    const reg = this.provider.must().registration;
    if (to.siteId && !reg.sites.includes(to.siteId)) {
      return fail(422, "site_not_serving", `site ${to.siteId} does not serve ${reg.name}`, { sites: reg.sites });
    }
    await this.planner.releaseReservation(cb);
    const now = this.c.now();
    this.store.forgetAgent(cb.id);
    this.c.sql`UPDATE callbacks SET skill = coalesce(${to.skill ?? null}, skill), skill_level = ${to.skill ? 1 : cb.skill_level},
      scheduled_for_ms = NULL, updated_at_ms = ${now} WHERE id = ${cb.id}`;
    this.store.event(cb.id, now, "transferred", { by: actor.role, ...(to.skill ? { skill: to.skill } : {}), ...(to.siteId ? { toSite: to.siteId } : {}) });
    await this.planner.plan(this.store.mustGet(cb.id), now, "transfer", to.siteId);
    await this.alarm.rearm();
    return ok(this.store.view(this.store.mustGet(cb.id), actor));
  }

  async complete(confirmation: string, actor: Actor, body: CompleteBody): Promise<Result<CallbackView>> {
    const cb = await this.store.visible(confirmation, actor);
    if (!cb) return notFound();
    if (cb.status === "completed") return ok(this.store.view(cb, actor));
    if (!canMove(cb.status, "completed")) return illegal(cb.status, "completed");
    await this.planner.releaseReservation(cb);
    this.store.move(cb, "completed", { due: null }, "completed", { by: actor.role, outcome: body.outcome, ...(body.notes ? { text: body.notes } : {}) });
    await this.alarm.rearm();
    return ok(this.store.view(this.store.mustGet(cb.id), actor));
  }

  /** Call progress from the provider's own media server, signed with its webhook secret. */
  /** Whether these raw bytes are signed by this provider's media server (with its webhook secret, recently). */
  async signedByProvider(rawBody: string, signature: string | null): Promise<boolean> {
    const reg = this.provider.get()?.registration;
    return reg?.webhook !== undefined && (await verifySignature(reg.webhook.secret, rawBody, signature, this.c.now()));
  }

  async progress(confirmation: string, rawBody: string, signature: string | null, attempt: number, outcome: AttemptOutcome): Promise<Result<CallbackView>> {
    if (!(await this.signedByProvider(rawBody, signature))) {
      return fail(401, "bad_signature", "the progress report is not signed by this provider's media server");
    }
    return this.outcome(confirmation, attempt, outcome);
  }

  /** An attempt's outcome from a media server whose word was checked already (a signed report, a carrier's signed callback). */
  async outcome(confirmation: string, attempt: number, outcome: AttemptOutcome): Promise<Result<CallbackView>> {
    const cb = this.store.byConfirmation(confirmation);
    const now = this.c.now();
    if (!cb) return notFound();
    const row = this.c.sql<AttemptRow>`SELECT * FROM attempts WHERE callback_id = ${cb.id} AND n = ${attempt}`.toArray()[0];
    if (!row) return fail(404, "attempt_not_found", `callback ${confirmation} has no attempt ${attempt}`);
    if (row.outcome === null) await this.session.applyOutcome(cb, row, outcome, now);
    await this.alarm.rearm();
    return ok(this.store.view(this.store.mustGet(cb.id), { role: "admin" }));
  }
}
