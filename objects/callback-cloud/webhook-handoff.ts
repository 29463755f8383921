/**
 * A shard's side of its provider's event webhooks: each lifecycle event of a callback is
 * written to the shard's own outbox in the same write as the event itself, then handed to
 * the provider's webhook object (objects/webhooks/webhook-outbox.ts), which delivers it. A
 * row leaves the outbox only once that object has taken it; a hand-over that fails is tried
 * again from the shard's alarm. So no event is lost between the two objects, and one handed
 * over twice is one message (the object keys it by callback and sequence).
 */
import type { HookMessage, WebhookEvent } from "../webhooks/webhook-outbox.ts";
import type { CloudContext } from "./cloud-context.ts";

/** The callback's events integrators hear of, by the shard's event type. */
const AS_WEBHOOK: Record<string, WebhookEvent> = {
  received: "callback.requested",
  scheduled: "callback.scheduled",
  rescheduled: "callback.scheduled",
  replanned: "callback.replanned",
  dialing: "callback.dialing",
  connected: "callback.connected",
  answered: "callback.answered",
  completed: "callback.completed",
  failed: "callback.failed",
  expired: "callback.expired",
  cancelled: "callback.cancelled",
};

/** Rows handed over at once. */
const HANDOFF_BATCH = 500;
/** How soon a hand-over that failed is tried again. */
export const HANDOFF_RETRY_MS = 5_000;

export class WebhookHandoff {
  /** When the last hand-over failed: the alarm tries again HANDOFF_RETRY_MS after it. */
  private failedAtMs: number | null = null;
  /**
   * Whether the provider has subscriptions, as last heard (null: not yet, so events are kept
   * and handed over, and the answer says). The edge tells every shard when a subscription is
   * made or ended, so a provider without webhooks costs its shards nothing per event.
   */
  private subscribed: boolean | null = null;

  constructor(
    private readonly c: CloudContext,
    private readonly providerId: () => string | null,
  ) {}

  /** Called inside the event's own write: the row is as durable as the event. */
  note(seq: number, callbackId: string, confirmation: string, status: string, type: string, atMs: number, detail: Record<string, unknown>): void {
    const event = AS_WEBHOOK[type];
    if (!event || !this.c.env.WEBHOOKS || this.subscribed === false) return;
    this.c.sql`INSERT INTO hook_outbox (seq, callback_id, confirmation, event, at_ms, data)
      VALUES (${seq}, ${callbackId}, ${confirmation}, ${event}, ${atMs}, ${JSON.stringify({ status, detail })})`;
  }

  /** Hands what the outbox holds to the provider's webhook object; rows it took leave the outbox. False when some are left for the alarm. */
  async flush(): Promise<boolean> {
    const providerId = this.providerId();
    const hooks = this.c.env.WEBHOOKS;
    if (!providerId || !hooks) return true;
    const rows = this.c.sql<{ seq: number; callback_id: string; confirmation: string; event: string; at_ms: number; data: string }>`SELECT * FROM hook_outbox
      ORDER BY seq LIMIT ${HANDOFF_BATCH}`.toArray();
    if (rows.length === 0) return true;
    const messages: HookMessage[] = rows.map((r) => ({
      callbackId: r.callback_id,
      confirmation: r.confirmation,
      seq: r.seq,
      event: r.event as WebhookEvent,
      atMs: r.at_ms,
      data: JSON.parse(r.data) as Record<string, unknown>,
    }));
    try {
      this.subscribed = (await hooks.getByName(providerId).accept(messages)).subscribed;
    } catch {
      // Kept: the alarm tries again shortly.
      this.failedAtMs = this.c.now();
      return false;
    }
    this.failedAtMs = null;
    this.c.sql`DELETE FROM hook_outbox WHERE seq <= ${(rows.at(-1) as { seq: number }).seq}`;
    return rows.length < HANDOFF_BATCH;
  }

  /** The edge made or ended a subscription of the provider: events are handed over, or not, from now. */
  subscriptionsChanged(subscribed: boolean): void {
    this.subscribed = subscribed;
  }

  /** When the alarm should hand over again: shortly after a failure, at once for rows left behind; null when nothing waits. */
  nextAt(): number | null {
    const waiting = this.c.sql`SELECT 1 FROM hook_outbox LIMIT 1`.toArray().length > 0;
    if (!waiting) return null;
    return this.failedAtMs === null ? this.c.now() : this.failedAtMs + HANDOFF_RETRY_MS;
  }
}
