/**
 * The callbacks' rows, their events and the views people get of them: every status
 * change goes through `move` (legal moves only, with its event), every event through
 * `event` (stored, then sent to live listeners).
 */
import { InvariantError } from "../shared/problem.ts";
import { hashVerifier } from "./confirmation.ts";
import { iso, type Actor, type CloudContext } from "./cloud-context.ts";
import type { DeskNotices } from "./desk-notices.ts";
import type { EventStreams } from "./event-streams.ts";
import type { WebhookHandoff } from "./webhook-handoff.ts";
import type { Notices } from "./notices.ts";
import { canMove, isFinal } from "./lifecycle.ts";
import { callbackView, customerDetail, type AttemptRow, type CallbackRow, type CallbackView, type EventView } from "./views.ts";
import type { CallbackStatus } from "../../federation/wire/vocabulary.ts";

/** What an event's listeners read of its callback. */
export type NotedRow = Pick<
  CallbackRow,
  "confirmation" | "status" | "site_id" | "agent_id" | "scheduled_for_ms" | "channel" | "media" | "contact" | "notify"
>;

export class CallbackStore {
  constructor(
    private readonly c: CloudContext,
    readonly streams: EventStreams,
    private readonly desks: DeskNotices,
    private readonly hooks: WebhookHandoff,
    private readonly notices: Notices,
  ) {}

  byConfirmation(confirmation: string): CallbackRow | null {
    return this.c.sql<CallbackRow>`SELECT * FROM callbacks WHERE confirmation = ${confirmation}`.toArray()[0] ?? null;
  }

  mustGet(id: string): CallbackRow {
    const row = this.c.sql<CallbackRow>`SELECT * FROM callbacks WHERE id = ${id}`.toArray()[0];
    if (!row) throw new InvariantError("a callback vanished inside its own request", { callbackId: id });
    return row;
  }

  /**
   * The callback if this actor may see it. A wrong verifier looks exactly like an
   * unknown confirmation; an agent sees only the callbacks assigned to it.
   */
  async visible(confirmation: string, actor: Actor): Promise<CallbackRow | null> {
    const cb = this.byConfirmation(confirmation);
    if (actor.role === "customer") {
      const given = await hashVerifier(actor.verifier);
      const stored = cb?.verifier_hash ?? "0".repeat(64);
      const same = crypto.subtle.timingSafeEqual(new TextEncoder().encode(given), new TextEncoder().encode(stored));
      return cb && same ? cb : null;
    }
    if (!cb) return null;
    if (actor.role === "agent") return cb.site_id === actor.siteId && cb.agent_id === actor.agentId ? cb : null;
    return cb;
  }

  /** Never planned yet: no plan has scheduled it or made it wait. */
  isNew(callbackId: string): boolean {
    return this.c.sql`SELECT 1 FROM events WHERE callback_id = ${callbackId} AND type IN ('scheduled', 'waiting') LIMIT 1`.toArray().length === 0;
  }

  hasEvent(callbackId: string, type: string): boolean {
    return this.c.sql`SELECT 1 FROM events WHERE callback_id = ${callbackId} AND type = ${type} LIMIT 1`.toArray().length > 0;
  }

  /** A legal status change with its event; `scheduledFor` is set only when given. */
  move(
    cb: CallbackRow,
    to: CallbackStatus,
    change: { due: number | null; scheduledFor?: number | null },
    eventType: string,
    detail: Record<string, unknown>,
  ): void {
    if (cb.status !== to && !canMove(cb.status, to)) {
      throw new InvariantError("an illegal move of a callback", { callbackId: cb.id, confirmation: cb.confirmation, from: cb.status, to });
    }
    const now = this.c.now();
    if (change.scheduledFor === undefined) {
      this.c.sql`UPDATE callbacks SET status = ${to}, due_at_ms = ${change.due}, updated_at_ms = ${now} WHERE id = ${cb.id}`;
    } else {
      this.c.sql`UPDATE callbacks SET status = ${to}, due_at_ms = ${change.due}, scheduled_for_ms = ${change.scheduledFor},
        updated_at_ms = ${now} WHERE id = ${cb.id}`;
    }
    this.event(cb.id, now, eventType, detail);
    if (isFinal(to)) this.streams.close(cb.id);
  }

  event(callbackId: string, atMs: number, type: string, detail: Record<string, unknown>): void {
    const { seq } = this.c.sql<{ seq: number }>`INSERT INTO events (callback_id, at_ms, type, detail)
      VALUES (${callbackId}, ${atMs}, ${type}, ${JSON.stringify(detail)}) RETURNING seq`.one();
    // Live events carry the customer's view of the detail, whoever listens.
    this.streams.publish(callbackId, seq, () => ({ at: iso(atMs), type, detail: customerDetail(detail) }));
    // One read of the row for everyone who hears of the event (desks, webhooks, the customer's messages).
    const held = this.c.sql<NotedRow>`SELECT confirmation, status, site_id, agent_id, scheduled_for_ms, channel, media, contact, notify
      FROM callbacks WHERE id = ${callbackId}`.toArray()[0];
    if (held?.site_id && held.agent_id) this.desks.note(held.site_id, held.agent_id, { confirmation: held.confirmation, type, status: held.status, atMs });
    // Integrators hear what the customer may: the customer's view of the detail.
    if (held) this.hooks.note(seq, callbackId, held.confirmation, held.status, type, atMs, customerDetail(detail));
    // What the customer is owed by message (a confirmation, a reminder) follows each event, in its write.
    if (held) this.notices.note(callbackId, type, held);
  }

  /** The callback is about to leave its agent (moved to another, or given up): that agent's desk hears of it. */
  leaving(cb: Pick<CallbackRow, "confirmation" | "status" | "site_id" | "agent_id">): void {
    if (cb.site_id && cb.agent_id) this.desks.note(cb.site_id, cb.agent_id, { confirmation: cb.confirmation, type: "moved", status: cb.status, atMs: this.c.now() });
  }

  events(callbackId: string, staff: boolean): EventView[] {
    return this.numberedEvents(callbackId, staff, 0).map((e) => e.event);
  }

  /**
   * The events after `afterSeq`, each with its id (its sequence number), oldest first: the
   * newest 500, so that a long history keeps its end (where a cancel or an outcome is).
   */
  private numberedEvents(callbackId: string, staff: boolean, afterSeq: number): { id: number; event: EventView }[] {
    return this.c.sql<{ seq: number; at_ms: number; type: string; detail: string }>`SELECT seq, at_ms, type, detail FROM (
        SELECT seq, at_ms, type, detail FROM events WHERE callback_id = ${callbackId} AND seq > ${afterSeq} ORDER BY seq DESC LIMIT 500)
      ORDER BY seq`
      .toArray()
      .map((e) => {
        const detail = JSON.parse(e.detail) as Record<string, unknown>;
        return { id: e.seq, event: { at: iso(e.at_ms), type: e.type, detail: staff ? detail : customerDetail(detail) } };
      });
  }

  view(cb: CallbackRow, actor: Actor): CallbackView {
    const staff = actor.role !== "customer";
    const attempts = this.c.sql<AttemptRow>`SELECT * FROM attempts WHERE callback_id = ${cb.id} ORDER BY n LIMIT 100`.toArray();
    return callbackView(cb, attempts, this.events(cb.id, staff), staff, this.c.env.PUBLIC_URL ?? "");
  }

  /** Drops the callback's agent and reservation (already released or lost). */
  forgetAgent(callbackId: string): void {
    const cb = this.c.sql<CallbackRow>`SELECT * FROM callbacks WHERE id = ${callbackId}`.toArray()[0];
    if (cb) this.leaving(cb);
    this.c.sql`UPDATE callbacks SET site_id = NULL, agent_id = NULL, reservation_id = NULL, claimed_at_ms = NULL,
      reserved_until_ms = NULL WHERE id = ${callbackId}`;
  }

  /** Server-sent events of one callback this actor may see: its history after `lastEventId` (0: all of it), then live. */
  async stream(confirmation: string, actor: Actor, lastEventId: number): Promise<Response | null> {
    const cb = await this.visible(confirmation, actor);
    if (!cb) return null;
    const missed = this.numberedEvents(cb.id, actor.role !== "customer", lastEventId);
    // A listener coming back to a callback that is over, with nothing it has not seen: no content, so EventSource stops.
    if (isFinal(cb.status) && lastEventId > 0 && missed.length === 0) return new Response(null, { status: 204 });
    return this.streams.open(cb.id, missed, isFinal(cb.status));
  }
}
