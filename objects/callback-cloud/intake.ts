/**
 * Intake: a customer's callback request becomes a durable callback. Idempotent by
 * key (the same key and body answer the same callback and verifier; another body is a
 * 409); held to anonymous intake's limits (429, intake-guard.ts); checked against the
 * provider's rules (422 with the reason); analysed; persisted with its first events
 * and its use of the offer; the alarm set. It answers only once the callback is
 * durable; planning and reserving follow.
 */
import { sha256Hex } from "../shared/key-hash.ts";
import { fail, ok, type Result } from "../shared/problem.ts";
import type { AlarmSchedule } from "./alarm-schedule.ts";
import type { CallbackStore } from "./callback-store.ts";
import type { IntakeCaller, IntakeGuard, OfferUse } from "./intake-guard.ts";
import { iso, noProvider, type CloudContext } from "./cloud-context.ts";
import { deriveVerifier, hashVerifier, newConfirmation } from "./confirmation.ts";
import type { Planner } from "./planning.ts";
import { generalistSkill, primarySkill, type ProviderRecord } from "./provider-record.ts";
import type { ProviderRegistration } from "./provider.ts";
import type { CallbackRequest, CallbackWhen } from "./requests.ts";
import { checkWindow, type WindowCheck } from "./rules.ts";

type AllowedWindow = Extract<WindowCheck, { ok: true }>;
import { receiptOf, type CallbackReceipt, type CallbackRow } from "./views.ts";

export class Intake {
  constructor(
    private readonly c: CloudContext,
    private readonly store: CallbackStore,
    private readonly provider: ProviderRecord,
    private readonly planner: Planner,
    private readonly alarm: AlarmSchedule,
    private readonly guard: IntakeGuard,
  ) {}

  /**
   * Accepts a callback: idempotent by key; checked against the rules; analysed;
   * persisted with its first events and the alarm set, and answered then, with the
   * mesh view's estimate of when. Planning and reserving follow at once, in the alarm
   * (due now), which plans every callback that arrived meanwhile together; the status
   * and events report the agent's reservation as it lands.
   */
  async request(
    input: CallbackRequest,
    userId: string,
    idempotencyKey: string,
    caller: IntakeCaller,
    offer: OfferUse,
  ): Promise<Result<CallbackReceipt>> {
    const p = this.provider.get();
    if (!p) return noProvider();
    const reg = p.registration;
    const now = this.c.now();
    const requestHash = await sha256Hex(JSON.stringify({ userId, input }));

    // Keys are the caller's own: another customer's same key is another request, and learns nothing of this one.
    const scopedKey = `${userId}\u0000${idempotencyKey}`;
    const prior = this.withKey(scopedKey);
    if (prior) return this.repeated(prior, requestHash);
    // A retry (above) is the same callback and counts for nothing; anything new counts, refused or not.
    const admitted = await this.guard.admit(p, caller, input.contact.phone ?? null, now);
    if (!admitted.ok) return admitted;
    if (input.contact.phone) {
      const dial = this.guard.destination(p, input.contact.phone);
      if (!dial.ok) return dial;
    }

    const checked = requestedWindow(reg, input.when, now);
    if (!checked.ok) return checked;
    const window = checked.value;
    const media = input.media.filter((m) => reg.rules.allowedMedia.includes(m));
    if (media.length === 0) {
      return fail(422, "media_not_allowed", `${reg.name} calls back only by ${reg.rules.allowedMedia.join(", ")}`, {
        allowed: reg.rules.allowedMedia,
      });
    }

    const language = input.language ?? "en";
    const analysis = await this.provider.analyze(reg, input.reason, language);
    const skill = primarySkill(analysis.skills) ?? generalistSkill(reg);
    const id = `cb_${crypto.randomUUID().replaceAll("-", "")}`;
    const confirmation = newConfirmation(p.ordinal, p.shard);
    const verifier = await deriveVerifier(this.c.env.EDGE_JWT_SECRET, confirmation);
    const verifierHash = await hashVerifier(verifier);
    const stored = this.c.storage.transactionSync((): boolean | CallbackRow => {
      // The same key sent again while this one was being analysed (the awaits above let it in): that one is the callback.
      const raced = this.withKey(scopedKey);
      if (raced) return raced;
      if (!this.guard.takeOfferUse(p, offer, now)) return false;
      this.c.sql`INSERT INTO callbacks (id, confirmation, verifier_hash, idempotency_key, request_hash, user_id, status, reason, notes,
        language, intent, skill, skill_level, priority, media, contact, window_start_ms, window_end_ms, channel, due_at_ms,
        created_at_ms, updated_at_ms, asap, notify)
        VALUES (${id}, ${confirmation}, ${verifierHash}, ${scopedKey}, ${requestHash}, ${userId}, 'pending',
        ${input.reason}, ${input.notes ?? null}, ${language}, ${JSON.stringify(analysis)}, ${skill?.name ?? null}, ${skill?.level ?? 1},
        ${analysis.priority}, ${JSON.stringify(media)}, ${JSON.stringify(input.contact)}, ${window.startMs}, ${window.endMs},
        ${media[0]}, ${now}, ${now}, ${now}, ${"asap" in input.when ? 1 : 0}, ${input.notify ?? null})`;
      this.store.event(id, now, "received", {
        window: { start: iso(window.startMs), end: iso(window.endMs) },
        media,
        ...(window.notice ? { notice: window.notice } : {}),
      });
      this.store.event(id, now, "intent", {
        intent: analysis.intent.name,
        confidence: analysis.intent.confidence,
        priority: analysis.priority,
        ...(analysis.urgency.length > 0 ? { urgency: analysis.urgency } : {}),
      });
      return true;
    });
    if (typeof stored === "object") return this.repeated(stored, requestHash);
    if (!stored) {
      const max = this.guard.limits(p).callbacksPerOffer;
      return fail(409, "offer_used", `this offer was good for ${max} callback${max === 1 ? "" : "s"} and has been used; ask for a new one`, {
        callbacksPerOffer: max,
      });
    }
    // Only the alarm plans: one planner at a time, so no callback is planned twice at once.
    await this.alarm.rearm();
    const estimate = await this.planner.estimate(this.store.mustGet(id), now);
    if (estimate !== null) this.c.sql`UPDATE callbacks SET scheduled_for_ms = ${estimate} WHERE id = ${id} AND status = 'pending'`;
    return ok(receiptOf(this.store.view(this.store.mustGet(id), { role: "admin" }), verifier));
  }

  private withKey(scopedKey: string): CallbackRow | null {
    return this.c.sql<CallbackRow>`SELECT * FROM callbacks WHERE idempotency_key = ${scopedKey}`.toArray()[0] ?? null;
  }

  /** A key seen before: the same request is the same callback (its receipt again); another request is a 409. */
  private async repeated(prior: CallbackRow, requestHash: string): Promise<Result<CallbackReceipt>> {
    if (prior.request_hash !== requestHash) {
      return fail(409, "idempotency_key_reused", "this Idempotency-Key was used for a different request", { confirmation: prior.confirmation });
    }
    const verifier = await deriveVerifier(this.c.env.EDGE_JWT_SECRET, prior.confirmation);
    return ok(receiptOf(this.store.view(prior, { role: "admin" }), verifier));
  }
}

/** The window asked for, as the provider's rules allow it as of `now`; else 422 `window_<reason>` with the earliest possible time. */
export function requestedWindow(reg: ProviderRegistration, when: CallbackWhen, now: number): Result<AllowedWindow> {
  const window = checkWindow(reg.rules, reg.timezone, "asap" in when ? { asap: true } : { startMs: Date.parse(when.start), endMs: Date.parse(when.end) }, now);
  if (window.ok) return ok(window);
  return fail(422, `window_${window.reason}`, window.message, {
    reason: window.reason,
    ...(window.earliestSlotMs !== undefined ? { earliestPossible: iso(window.earliestSlotMs) } : {}),
  });
}

