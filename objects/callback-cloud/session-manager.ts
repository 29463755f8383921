/**
 * The session manager: what the alarm does when callbacks fall due. It plans those
 * still waiting (together), confirms each agent's reservation a little ahead of the
 * call, records every due attempt in one transaction before the call time, dials them
 * as one batch through the media server, and applies outcomes: connected, retries on
 * the provider's backoff, the text fallback, giving up, expiry. Every effect is
 * idempotent: an alarm that runs twice never dials twice.
 */
import type { CallbackStore } from "./callback-store.ts";
import {
  ALARM_BATCH,
  DIAL_LEAD_MS,
  forEachLimited,
  iso,
  PREPARE_CONCURRENCY,
  DIAL_ANSWER_MS,
  PROGRESS_TIMEOUT_MS,
  REPLAN_INTERVAL_MS,
  type CloudContext,
} from "./cloud-context.ts";
import { isTextChannel, nextAfterOutcome } from "./lifecycle.ts";
import type { DialRequest, DialResult } from "./media-server.ts";
import { mediaServerFor, reportsLater } from "./media-server-choice.ts";
import type { Planner } from "./planning.ts";
import type { ProviderRecord } from "./provider-record.ts";
import type { ProviderRegistration } from "./provider.ts";
import { retryAt } from "./rules.ts";
import type { AttemptRow, CallbackRow } from "./views.ts";
import type { AttemptOutcome, Channel } from "../../federation/wire/vocabulary.ts";

export class SessionManager {
  constructor(
    private readonly c: CloudContext,
    private readonly store: CallbackStore,
    private readonly provider: ProviderRecord,
    private readonly planner: Planner,
  ) {}

  async run(): Promise<void> {
    const now = this.c.now();
    const due = this.c.sql<CallbackRow>`SELECT * FROM callbacks WHERE due_at_ms IS NOT NULL AND due_at_ms <= ${now + DIAL_LEAD_MS}
      ORDER BY priority, due_at_ms LIMIT ${ALARM_BATCH}`.toArray();
    const ready: CallbackRow[] = [];
    // Callbacks waiting for an agent are planned together: one assignment, not first come first served. New
    // requests first, as requests (one nobody can take in its window may move past it).
    const waiting = due.filter((cb) => cb.status === "pending" && now < cb.window_end_ms);
    const fresh = new Set(waiting.filter((cb) => this.store.isNew(cb.id)).map((cb) => cb.id));
    let rest = due;
    if (waiting.length > 0) {
      try {
        if (fresh.size > 0) await this.planner.planMany(waiting.filter((cb) => fresh.has(cb.id)), now, "request");
        const again = waiting.filter((cb) => !fresh.has(cb.id));
        if (again.length > 0) await this.planner.planMany(again, now, "replan");
      } catch (err) {
        console.error("planning failed", waiting.length, (err as Error).message);
        for (const cb of waiting) this.c.sql`UPDATE callbacks SET due_at_ms = ${now + REPLAN_INTERVAL_MS} WHERE id = ${cb.id}`;
      }
      // Re-planned ones go on below (their reservation may be due for confirmation); the others wait. New requests
      // planned now are called on the next wake, at once after this one: planning never waits on a dial.
      const planned = new Set(waiting.map((cb) => cb.id));
      rest = due
        .filter((cb) => !fresh.has(cb.id))
        .map((cb) => (planned.has(cb.id) ? this.store.mustGet(cb.id) : cb))
        .filter((cb) => !planned.has(cb.id) || (cb.status !== "pending" && (cb.due_at_ms ?? Infinity) <= now + DIAL_LEAD_MS));
    }
    // Preparing (confirming reservations, expiring) talks to sites, a few callbacks at a time.
    await forEachLimited(rest, PREPARE_CONCURRENCY, async (cb) => {
      try {
        const toDial = await this.prepare(cb, now);
        if (toDial) ready.push(toDial);
      } catch (err) {
        // One callback's trouble must not stall the rest: try it again shortly.
        console.error("callback work failed", cb.confirmation, (err as Error).message);
        this.c.sql`UPDATE callbacks SET due_at_ms = ${now + REPLAN_INTERVAL_MS} WHERE id = ${cb.id}`;
      }
    });
    await this.dialAll(ready, now);
  }

  /**
   * What is due for one callback, by its status: plan it, confirm its agent's
   * reservation a little ahead of the call, expire it. Answers the callback when it
   * is to be dialed now. Safe to run twice.
   */
  private async prepare(cb: CallbackRow, now: number, depth = 0): Promise<CallbackRow | null> {
    const again = async (): Promise<CallbackRow | null> => {
      const fresh = this.store.mustGet(cb.id);
      const dueNow = (fresh.status === "scheduled" || fresh.status === "retrying") && (fresh.due_at_ms ?? Infinity) <= now;
      return dueNow && depth < 2 ? this.prepare(fresh, now, depth + 1) : null;
    };
    switch (cb.status) {
      case "pending":
        if (now >= cb.window_end_ms) {
          await this.expire(cb, now);
          return null;
        }
        await this.planner.plan(cb, now, "replan");
        return again();
      case "scheduled":
      case "retrying": {
        const text = isTextChannel(cb.channel);
        if (now >= cb.window_end_ms && !text) {
          await this.expire(cb, now);
          return null;
        }
        if (!text && !cb.reservation_id) {
          await this.planner.plan(cb, now, "replan");
          return again();
        }
        if (!text && cb.claimed_at_ms === null) {
          const claimed = await this.c.sites.claim(cb.site_id as string, cb.reservation_id as string);
          if (!claimed.ok) {
            this.store.event(cb.id, now, "replanned", {
              reason: "the agent could not be confirmed; planning again",
              why: `the agent's reservation could not be confirmed (${claimed.code}: ${claimed.message})`,
              siteId: cb.site_id,
            });
            // Refused or unanswered rather than gone (404) or ended (409): the hold may still be there, and is given back,
            // now or once the site answers (found by the chaos suite: a site whose clock jumped refused the claim and kept the agent).
            if (claimed.status !== 404 && claimed.status !== 409) await this.planner.releaseReservation(cb);
            this.store.forgetAgent(cb.id);
            await this.planner.plan(this.store.mustGet(cb.id), now, "lost");
            return again();
          }
          this.c.sql`UPDATE callbacks SET claimed_at_ms = ${now} WHERE id = ${cb.id}`;
        }
        const at = cb.scheduled_for_ms ?? now;
        if (at > now + DIAL_LEAD_MS) {
          this.c.sql`UPDATE callbacks SET due_at_ms = ${at} WHERE id = ${cb.id}`;
          return null;
        }
        return this.store.mustGet(cb.id);
      }
      case "dialing":
        await this.resumeAttempt(cb, now);
        return null;
      default:
        // Final or connected: nothing due.
        this.c.sql`UPDATE callbacks SET due_at_ms = NULL WHERE id = ${cb.id}`;
        return null;
    }
  }

  /**
   * Dials every callback that is due now together: the attempts are recorded in one
   * transaction first (so an alarm that runs again never dials twice), then the
   * dials go out at once.
   */
  private async dialAll(ready: readonly CallbackRow[], now: number): Promise<void> {
    if (ready.length === 0) return;
    const batch: { cb: CallbackRow; attempt: AttemptRow }[] = [];
    this.c.storage.transactionSync(() => {
      for (const cb of ready) {
        const n = (this.c.sql<{ n: number }>`SELECT count(*) AS n FROM attempts WHERE callback_id = ${cb.id}`.one().n as number) + 1;
        const key = `${cb.id}:${n}`;
        const startedAt = Math.max(now, cb.scheduled_for_ms ?? now);
        this.c.sql`INSERT INTO attempts (idempotency_key, callback_id, n, channel, started_at_ms) VALUES (${key}, ${cb.id}, ${n}, ${cb.channel}, ${startedAt})`;
        // Due again soon: should this object die before the dial is answered, the alarm asks again with the same key.
        this.store.move(cb, "dialing", { due: startedAt + DIAL_ANSWER_MS }, "dialing", { attempt: n, channel: cb.channel });
        batch.push({
          cb,
          attempt: { idempotency_key: key, callback_id: cb.id, n, channel: cb.channel, started_at_ms: startedAt, outcome: null, ended_at_ms: null, issued_at_ms: null },
        });
      }
    });
    // The dials are built before the call time too, so that at it they only leave.
    const reg = this.provider.must().registration;
    const requests = batch.map(({ cb, attempt }) => this.dialRequest(reg, cb, attempt));
    // The alarm woke a little early so that the records above are durable by the call time; wait for it.
    const at = Math.min(...batch.map((b) => b.attempt.started_at_ms));
    const wait = at - this.c.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    // When the dials left this object: how late a callback fires is measured to here.
    const issuedAt = this.c.now();
    let results: DialResult[];
    try {
      results = await this.mediaServer().dialMany(requests);
    } catch (err) {
      // The attempts stay under way; the alarm asks again with the same keys, and no one is called twice.
      console.error("dials failed", batch.length, (err as Error).message);
      for (const { cb } of batch) this.c.sql`UPDATE callbacks SET due_at_ms = ${now + REPLAN_INTERVAL_MS} WHERE id = ${cb.id}`;
      return;
    }
    for (const [i, { cb, attempt }] of batch.entries()) {
      this.c.sql`UPDATE attempts SET issued_at_ms = coalesce(issued_at_ms, ${issuedAt}) WHERE idempotency_key = ${attempt.idempotency_key}`;
      const result = results[i];
      if (result?.outcome) await this.applyOutcome(this.store.mustGet(cb.id), attempt, result.outcome, issuedAt);
      else this.awaitProgress(cb.id, attempt, issuedAt);
    }
  }

  /** A dial taken, its outcome to be reported later: due again only when its report is overdue. */
  private awaitProgress(callbackId: string, attempt: AttemptRow, issuedAt: number): void {
    this.c.sql`UPDATE callbacks SET due_at_ms = ${issuedAt + PROGRESS_TIMEOUT_MS}
      WHERE id = ${callbackId} AND status = 'dialing'
        AND NOT EXISTS (SELECT 1 FROM attempts WHERE callback_id = ${callbackId} AND n > ${attempt.n})`;
  }

  /** The alarm found a dial under way: ask again with the same key (never a second call), or time it out. */
  private async resumeAttempt(cb: CallbackRow, now: number): Promise<void> {
    const last = this.c.sql<AttemptRow>`SELECT * FROM attempts WHERE callback_id = ${cb.id} ORDER BY n DESC LIMIT 1`.toArray()[0];
    if (!last || last.outcome !== null) {
      this.c.sql`UPDATE callbacks SET due_at_ms = NULL WHERE id = ${cb.id}`;
      return;
    }
    // A dial never answered (the object died waiting, the media server failed) is asked again with its key until the
    // window closes: only an answer says whether it was made. Past the window it counts as failed, and the customer is told.
    const overdue =
      last.issued_at_ms === null
        ? now >= cb.window_end_ms
        : now - last.issued_at_ms >= PROGRESS_TIMEOUT_MS && reportsLater(this.provider.get()?.registration);
    if (overdue) return this.applyOutcome(cb, last, "failed", now);
    return this.dial(cb, last, now);
  }

  /** Asks the media server again about one attempt under way, with the same key: never a second call. */
  private async dial(cb: CallbackRow, attempt: AttemptRow, now: number): Promise<void> {
    const issuedAt = this.c.now();
    const result = await this.mediaServer().dial(this.dialRequest(this.provider.must().registration, cb, attempt));
    this.c.sql`UPDATE attempts SET issued_at_ms = coalesce(issued_at_ms, ${issuedAt}) WHERE idempotency_key = ${attempt.idempotency_key}`;
    if (result.outcome !== null) await this.applyOutcome(this.store.mustGet(cb.id), attempt, result.outcome, now);
    else this.awaitProgress(cb.id, attempt, attempt.issued_at_ms ?? issuedAt);
  }

  private dialRequest(reg: ProviderRegistration, cb: CallbackRow, attempt: AttemptRow): DialRequest {
    const contact = JSON.parse(cb.contact) as { phone?: string; email?: string };
    return {
      idempotencyKey: attempt.idempotency_key,
      confirmation: cb.confirmation,
      attempt: attempt.n,
      channel: attempt.channel,
      to: (attempt.channel === "email" ? contact.email : contact.phone) ?? "",
      from: reg.channels.find((c) => c.type === attempt.channel)?.endpoint ?? "",
      agent: cb.site_id && cb.agent_id ? { siteId: cb.site_id, agentId: cb.agent_id } : null,
      message: isTextChannel(attempt.channel) ? this.textFor(cb) : undefined,
    };
  }

  async applyOutcome(cb: CallbackRow, attempt: AttemptRow, outcome: AttemptOutcome, now: number): Promise<void> {
    const reg = this.provider.must().registration;
    const attempts = this.c.sql<AttemptRow>`SELECT * FROM attempts WHERE callback_id = ${cb.id} ORDER BY n LIMIT 100`
      .toArray()
      .map((a) => ({ channel: a.channel, outcome: a.idempotency_key === attempt.idempotency_key ? outcome : a.outcome }));
    const step = nextAfterOutcome({
      outcome,
      channel: attempt.channel,
      attempts,
      media: JSON.parse(cb.media),
      maxAttempts: reg.rules.maxAttempts,
      retryAt: (n, failedAt) => retryAt(reg.rules, reg.timezone, n, failedAt),
      nowMs: now,
      windowEndMs: cb.window_end_ms + 86_400_000 * (isTextChannel(attempt.channel) ? 1 : 0),
    });
    this.c.sql`UPDATE attempts SET outcome = ${outcome}, ended_at_ms = ${now} WHERE idempotency_key = ${attempt.idempotency_key}`;
    this.store.event(cb.id, now, "outcome", { attempt: attempt.n, channel: attempt.channel, outcome });
    switch (step.kind) {
      case "connected":
        this.store.move(cb, "connected", { due: null }, "connected", { attempt: attempt.n });
        return;
      case "delivered": {
        await this.planner.releaseReservation(cb);
        // A text on the customer's own first choice is the callback; one sent as a fallback only says we tried.
        const primary = (JSON.parse(cb.media) as Channel[])[0];
        if (attempt.channel === primary) {
          this.store.move(cb, "completed", { due: null }, "completed", { by: "media_server", channel: attempt.channel });
        } else {
          this.store.move(cb, "failed", { due: null }, "failed", {
            reason: `not reached by ${primary}; a ${attempt.channel} with a link to reschedule was sent`,
          });
        }
        return;
      }
      case "retry":
        // A retry after the agent's reserved slot needs the agent again: give it back and plan anew then.
        if (!isTextChannel(step.channel) && step.atMs >= (cb.reserved_until_ms ?? 0)) {
          await this.planner.releaseReservation(cb);
          this.store.forgetAgent(cb.id);
        }
        this.store.move(this.store.mustGet(cb.id), "retrying", { due: step.atMs, scheduledFor: step.atMs }, "retry_scheduled", {
          at: iso(step.atMs),
          channel: step.channel,
        });
        return;
      case "fallback":
        await this.planner.releaseReservation(cb);
        this.store.forgetAgent(cb.id);
        this.c.sql`UPDATE callbacks SET channel = ${step.channel} WHERE id = ${cb.id}`;
        this.store.move(this.store.mustGet(cb.id), "retrying", { due: step.atMs, scheduledFor: step.atMs }, "fallback", {
          from: attempt.channel,
          to: step.channel,
        });
        return;
      case "give_up":
        await this.planner.releaseReservation(cb);
        this.store.move(cb, "failed", { due: null }, "failed", { reason: step.reason });
        return;
    }
  }

  private async expire(cb: CallbackRow, now: number): Promise<void> {
    await this.planner.releaseReservation(cb);
    const waited = this.c.sql<{ detail: string }>`SELECT detail FROM events WHERE callback_id = ${cb.id} AND type = 'waiting'
      ORDER BY seq DESC LIMIT 1`.toArray()[0];
    const reason = waited ? (JSON.parse(waited.detail) as { reason: string }).reason : "the window closed before the callback could be made";
    this.store.move(cb, "expired", { due: null }, "expired", { reason });
  }

  private mediaServer() {
    return mediaServerFor(this.c, this.provider.must().registration);
  }

  private textFor(cb: CallbackRow): string {
    const reg = this.provider.must().registration;
    const link = `${this.c.env.PUBLIC_URL ?? ""}/v1/callbacks/${cb.confirmation}`;
    return `${reg.name}: we could not reach you by phone about your request (${cb.confirmation}). Reply or reschedule: ${link}`;
  }
}
