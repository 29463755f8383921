/**
 * A provider's event webhooks, as one Durable Object per provider: its subscriptions
 * (URL, event types, secret), the messages its callback shards hand over, and each
 * message's delivery to each subscription, sent from this object's alarm. Deliveries are
 * signed as Standard Webhooks says (standard-webhooks.ts), retried with growing waits and
 * sent in order per callback (delivery-plan.ts), at least once: a message is stored before
 * its shard forgets it, and its id is the same on every retry, so a receiver drops repeats.
 * Ops see what is pending, delivered or given up, and may send one again.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { systemClock, type Clock } from "../shared/clock.ts";
import { fail, ok, type Result } from "../shared/problem.ts";
import { migrate, sqlOf, type Sql } from "../shared/sql.ts";
import { outboundUrl } from "../shared/urls.ts";
import { dueNow, nextDueAt, retryAt, type PendingDelivery } from "./delivery-plan.ts";
import { isWebhookSecret, newWebhookSecret, standardWebhookHeaders } from "./standard-webhooks.ts";

/** The callback lifecycle events a subscription may ask for. */
export const WEBHOOK_EVENTS = [
  "callback.requested",
  "callback.scheduled",
  "callback.replanned",
  "callback.dialing",
  "callback.connected",
  "callback.answered",
  "callback.completed",
  "callback.failed",
  "callback.expired",
  "callback.cancelled",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Subscriptions a provider may keep. */
export const MAX_SUBSCRIPTIONS = 10;
/** Deliveries sent at once in one alarm run; the next run follows at once when more are due. */
const SEND_CONCURRENCY = 8;
const SEND_BATCH = 64;
const SEND_ROUNDS = 8;
/** How long a receiver has to answer a delivery. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Delivered and given-up deliveries are kept this long for ops to read. */
const KEPT_MS = 7 * 86_400_000;

export const subscriptionInput = z.strictObject({
  url: outboundUrl,
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1, "at least one event").max(WEBHOOK_EVENTS.length),
  secret: z
    .string()
    .refine(isWebhookSecret, 'a secret is "whsec_" and the base64 of 24 to 64 random bytes (leave it out and one is made)')
    .optional(),
});
export type SubscriptionInput = z.infer<typeof subscriptionInput>;

export interface SubscriptionView {
  id: string;
  url: string;
  events: WebhookEvent[];
  createdAt: string;
}

export interface DeliveryView {
  messageId: string;
  subscriptionId: string;
  event: string;
  confirmation: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}

/** One event of a callback, as its shard hands it over. */
export interface HookMessage {
  callbackId: string;
  confirmation: string;
  /** The event's sequence in its shard: order within the callback. */
  seq: number;
  event: WebhookEvent;
  atMs: number;
  data: Record<string, unknown>;
}

const MIGRATIONS = [
  {
    version: 1,
    name: "subscriptions, messages and deliveries",
    up: [
      `CREATE TABLE subscriptions (id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL, created_at_ms INTEGER NOT NULL)`,
      `CREATE TABLE messages (id TEXT PRIMARY KEY, callback_id TEXT NOT NULL, confirmation TEXT NOT NULL, seq INTEGER NOT NULL,
        event TEXT NOT NULL, at_ms INTEGER NOT NULL, body TEXT NOT NULL)`,
      `CREATE TABLE deliveries (message_id TEXT NOT NULL, subscription_id TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        next_at_ms INTEGER, last_status INTEGER, last_error TEXT, delivered_at_ms INTEGER, updated_at_ms INTEGER NOT NULL,
        PRIMARY KEY (message_id, subscription_id))`,
      `CREATE INDEX deliveries_pending ON deliveries (status, next_at_ms)`,
    ],
  },
] as const;

type DeliveryRow = { message_id: string; subscription_id: string; status: DeliveryView["status"]; attempts: number; next_at_ms: number | null;
  last_status: number | null; last_error: string | null; delivered_at_ms: number | null; event: string; confirmation: string };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class WebhookOutbox extends DurableObject {
  /** Replaced by tests (through runInDurableObject) to move time. */
  clock: Clock = systemClock;
  private readonly sql: Sql;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.sql = sqlOf(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS, this.clock.now());
    });
  }

  /** A new subscription; its secret is answered here once (given, or made). */
  async subscribe(input: SubscriptionInput): Promise<Result<SubscriptionView & { secret: string }>> {
    const n = this.sql<{ n: number }>`SELECT count(*) AS n FROM subscriptions`.one().n;
    if (n >= MAX_SUBSCRIPTIONS) return fail(409, "too_many_subscriptions", `a provider keeps at most ${MAX_SUBSCRIPTIONS} subscriptions`, { max: MAX_SUBSCRIPTIONS });
    const id = `sub_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
    const secret = input.secret ?? newWebhookSecret();
    const now = this.clock.now();
    const events = [...new Set(input.events)];
    this.sql`INSERT INTO subscriptions (id, url, events, secret, created_at_ms) VALUES (${id}, ${input.url}, ${JSON.stringify(events)}, ${secret}, ${now})`;
    return ok({ id, url: input.url, events, createdAt: iso(now) as string, secret });
  }

  async subscriptions(): Promise<SubscriptionView[]> {
    return this.sql<{ id: string; url: string; events: string; created_at_ms: number }>`SELECT id, url, events, created_at_ms FROM subscriptions ORDER BY created_at_ms, id`
      .toArray()
      .map((s) => ({ id: s.id, url: s.url, events: JSON.parse(s.events) as WebhookEvent[], createdAt: iso(s.created_at_ms) as string }));
  }

  /** Ends a subscription: nothing more is sent to it, what was pending included. */
  async unsubscribe(id: string): Promise<Result<{ id: string }>> {
    const gone = this.sql`DELETE FROM subscriptions WHERE id = ${id}`.rowsWritten;
    if (gone === 0) return fail(404, "subscription_not_found", `no subscription ${id}`);
    this.sql`DELETE FROM deliveries WHERE subscription_id = ${id} AND status = 'pending'`;
    await this.rearm();
    return ok({ id });
  }

  /**
   * Events handed over by a shard: each becomes a message, owed to every subscription that
   * asked for its type. Handing the same event over again changes nothing (its id is its
   * callback's and sequence's), so a shard may hand over until it hears back.
   */
  async accept(messages: HookMessage[]): Promise<{ owed: number; subscribed: boolean }> {
    const subs = this.sql<{ id: string; events: string }>`SELECT id, events FROM subscriptions`.toArray().map((s) => ({ id: s.id, events: new Set(JSON.parse(s.events) as string[]) }));
    const now = this.clock.now();
    let owed = 0;
    this.ctx.storage.transactionSync(() => {
      for (const m of messages) {
        const to = subs.filter((s) => s.events.has(m.event));
        if (to.length === 0) continue;
        const id = `msg_${m.callbackId.replace(/^cb_/, "")}_${m.seq}`;
        const body = JSON.stringify({ type: m.event, timestamp: iso(m.atMs), data: { confirmation: m.confirmation, ...m.data } });
        const fresh = this.sql`INSERT OR IGNORE INTO messages (id, callback_id, confirmation, seq, event, at_ms, body)
          VALUES (${id}, ${m.callbackId}, ${m.confirmation}, ${m.seq}, ${m.event}, ${m.atMs}, ${body})`.rowsWritten;
        if (fresh === 0) continue;
        for (const s of to) {
          this.sql`INSERT OR IGNORE INTO deliveries (message_id, subscription_id, status, next_at_ms, updated_at_ms) VALUES (${id}, ${s.id}, 'pending', ${now}, ${now})`;
          owed++;
        }
      }
    });
    if (owed > 0) await this.rearm();
    // Whether the provider has any subscription: without one, its shards stop handing events over until told.
    return { owed, subscribed: subs.length > 0 };
  }

  /** Deliveries for ops, newest first: all, or those of one status. */
  async deliveries(status: DeliveryView["status"] | null, limit: number): Promise<DeliveryView[]> {
    const rows = this.sql<DeliveryRow>`SELECT d.*, m.event, m.confirmation FROM deliveries d JOIN messages m ON m.id = d.message_id
      WHERE (${status} IS NULL OR d.status = ${status}) ORDER BY m.at_ms DESC, m.seq DESC LIMIT ${limit}`.toArray();
    return rows.map((d) => ({
      messageId: d.message_id,
      subscriptionId: d.subscription_id,
      event: d.event,
      confirmation: d.confirmation,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: d.status === "pending" ? iso(d.next_at_ms) : null,
      lastStatus: d.last_status,
      lastError: d.last_error,
      deliveredAt: iso(d.delivered_at_ms),
    }));
  }

  /** Sends a delivery again, as a fresh one (ops: after a receiver was fixed). */
  async redeliver(messageId: string, subscriptionId: string): Promise<Result<{ messageId: string; subscriptionId: string }>> {
    const now = this.clock.now();
    const n = this.sql`UPDATE deliveries SET status = 'pending', attempts = 0, next_at_ms = ${now}, updated_at_ms = ${now}
      WHERE message_id = ${messageId} AND subscription_id = ${subscriptionId}`.rowsWritten;
    if (n === 0) return fail(404, "delivery_not_found", `no delivery of ${messageId} to ${subscriptionId}`);
    await this.rearm();
    return ok({ messageId, subscriptionId });
  }

  async alarm(): Promise<void> {
    const now = this.clock.now();
    // Rounds: a callback's next event goes as soon as the one before it is delivered, in the same run.
    for (let round = 0, sent = 0; round < SEND_ROUNDS && sent < SEND_BATCH; round++) {
      const due = dueNow(this.pending(), now, SEND_BATCH - sent);
      if (due.length === 0) break;
      let next = 0;
      const lanes = Array.from({ length: Math.min(SEND_CONCURRENCY, due.length) }, async () => {
        while (next < due.length) await this.send(due[next++] as PendingDelivery);
      });
      await Promise.all(lanes);
      sent += due.length;
    }
    this.sql`DELETE FROM deliveries WHERE status != 'pending' AND updated_at_ms < ${now - KEPT_MS}`;
    this.sql`DELETE FROM messages WHERE at_ms < ${now - KEPT_MS} AND id NOT IN (SELECT message_id FROM deliveries)`;
    await this.rearm();
  }

  private pending(): PendingDelivery[] {
    return this.sql<{ message_id: string; subscription_id: string; callback_id: string; seq: number; next_at_ms: number }>`SELECT d.message_id,
        d.subscription_id, m.callback_id, m.seq, d.next_at_ms FROM deliveries d JOIN messages m ON m.id = d.message_id
      WHERE d.status = 'pending' LIMIT 10000`
      .toArray()
      .map((r) => ({ messageId: r.message_id, subscriptionId: r.subscription_id, callbackId: r.callback_id, seq: r.seq, nextAtMs: r.next_at_ms }));
  }

  private async send(d: PendingDelivery): Promise<void> {
    const sub = this.sql<{ url: string; secret: string }>`SELECT url, secret FROM subscriptions WHERE id = ${d.subscriptionId}`.toArray()[0];
    const msg = this.sql<{ body: string }>`SELECT body FROM messages WHERE id = ${d.messageId}`.toArray()[0];
    if (!sub || !msg) return;
    const sentAt = this.clock.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const headers = await standardWebhookHeaders(sub.secret, d.messageId, sentAt, msg.body);
      const res = await fetch(sub.url, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "user-agent": "callback-mesh-webhooks/1" },
        body: msg.body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        redirect: "manual",
      });
      status = res.status;
      await res.body?.cancel();
    } catch (err) {
      error = (err as Error).name === "TimeoutError" ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` : "the receiver could not be reached";
    }
    const now = this.clock.now();
    const row = this.sql<{ attempts: number; status: string }>`SELECT attempts, status FROM deliveries WHERE message_id = ${d.messageId} AND subscription_id = ${d.subscriptionId}`.toArray()[0];
    // Redelivered, or unsubscribed, while it was on the wire: leave what ops did be.
    if (!row || row.status !== "pending") return;
    const attempts = row.attempts + 1;
    if (status !== null && status >= 200 && status < 300) {
      this.sql`UPDATE deliveries SET status = 'delivered', attempts = ${attempts}, last_status = ${status}, last_error = NULL,
        delivered_at_ms = ${now}, next_at_ms = NULL, updated_at_ms = ${now} WHERE message_id = ${d.messageId} AND subscription_id = ${d.subscriptionId}`;
      return;
    }
    const again = retryAt(attempts, now);
    const lastError = error ?? `the receiver answered ${status}`;
    this.sql`UPDATE deliveries SET status = ${again === null ? "failed" : "pending"}, attempts = ${attempts}, last_status = ${status},
      last_error = ${lastError}, next_at_ms = ${again}, updated_at_ms = ${now} WHERE message_id = ${d.messageId} AND subscription_id = ${d.subscriptionId}`;
  }

  private async rearm(): Promise<void> {
    const at = nextDueAt(this.pending());
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(at, this.clock.now()));
  }
}
