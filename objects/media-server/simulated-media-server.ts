/**
 * The simulated media server of the local mesh and the tests: it "dials" by the
 * rule in simulatedOutcome, and it honours idempotency keys the way a real one
 * must: a key seen again returns the first answer and dials nobody.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { systemClock, type Clock } from "../shared/clock.ts";
import { migrate, sqlOf, type Sql } from "../shared/sql.ts";
import {
  simulatedOutcome,
  type DialRequest,
  type DialResult,
  type MediaServer,
  type NoticeRequest,
  type NoticeResult,
} from "../callback-cloud/media-server.ts";
import type { AttemptOutcome } from "../../federation/wire/vocabulary.ts";

const MIGRATIONS = [
  {
    version: 1,
    name: "dials",
    up: [
      `CREATE TABLE dials (
        idempotency_key TEXT PRIMARY KEY,
        confirmation TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        channel TEXT NOT NULL,
        recipient TEXT NOT NULL,
        outcome TEXT NOT NULL,
        ring_ms INTEGER NOT NULL,
        message TEXT,
        requests INTEGER NOT NULL DEFAULT 1
      )`,
    ],
  },
  {
    version: 2,
    name: "when each dial arrived",
    up: ["ALTER TABLE dials ADD COLUMN dialed_at_ms INTEGER"],
  },
  {
    version: 3,
    name: "messages",
    // Confirmations and reminders: not dials, so the dial log stays one row per attempt.
    up: [
      `CREATE TABLE messages (
        idempotency_key TEXT PRIMARY KEY,
        confirmation TEXT NOT NULL,
        notice TEXT NOT NULL,
        channel TEXT NOT NULL,
        recipient TEXT NOT NULL,
        body TEXT NOT NULL,
        result TEXT NOT NULL,
        requests INTEGER NOT NULL DEFAULT 1,
        sent_at_ms INTEGER NOT NULL
      )`,
    ],
  },
] as const;

/** One row of the dial log (GET /v1/media/dials): a zod schema, so the edge documents exactly this. */
export const dialRecordSchema = z
  .strictObject({
    row: z.number().int().min(1).meta({ description: "Position in the log, for paging with `after`" }),
    idempotencyKey: z.string(),
    confirmation: z.string(),
    attempt: z.number().int().min(1),
    channel: z.string(),
    to: z.string(),
    outcome: z.string(),
    message: z.string().nullable(),
    requests: z.number().int().min(1).meta({ description: "How many times this key was asked for; only the first one dialed" }),
    dialedAt: z.iso.datetime().nullable().meta({ description: "When the first request for this key arrived" }),
  })
  .meta({ id: "Dial", description: "What the simulated media server did for one idempotency key." });
export type DialRecord = z.infer<typeof dialRecordSchema>;

/** One message the simulated media server sent (GET /v1/media/messages). */
export const messageRecordSchema = z
  .strictObject({
    row: z.number().int().min(1),
    idempotencyKey: z.string(),
    confirmation: z.string(),
    notice: z.enum(["confirmation", "reminder"]),
    channel: z.enum(["sms", "email"]),
    to: z.string(),
    message: z.string(),
    result: z.enum(["sent", "refused"]),
    requests: z.number().int().min(1).meta({ description: "How many times this key was asked for; only the first one sent" }),
    sentAt: z.iso.datetime(),
  })
  .meta({ id: "SentMessage", description: "A confirmation or reminder the simulated media server sent (or refused: an address ending in 0004)." });
export type MessageRecord = z.infer<typeof messageRecordSchema>;

export class SimulatedMediaServer extends DurableObject implements MediaServer {
  clock: Clock = systemClock;
  private readonly sql: Sql;
  /** Fault injection: the next dial is placed but its answer is lost, as when a connection drops. */
  private loseNextAnswer = false;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.sql = sqlOf(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS, this.clock.now());
    });
  }

  async dial(request: DialRequest): Promise<DialResult> {
    const [result] = await this.dialMany([request]);
    return result;
  }

  /** All in one transaction: a batch of calls due at one instant costs one write. */
  async dialMany(requests: DialRequest[]): Promise<DialResult[]> {
    // Every dial of the batch arrived together; the time is the message's, not its place in the loop.
    const arrivedAt = this.clock.now();
    const results = this.ctx.storage.transactionSync(() => requests.map((r) => this.dialOne(r, arrivedAt)));
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new Error("simulated: the dial was placed but the answer was lost");
    }
    return results;
  }

  private dialOne(request: DialRequest, arrivedAt: number): DialResult {
    const seen = this.sql<{ outcome: string; ring_ms: number }>`SELECT outcome, ring_ms FROM dials
      WHERE idempotency_key = ${request.idempotencyKey}`.toArray()[0];
    if (seen) {
      this.sql`UPDATE dials SET requests = requests + 1 WHERE idempotency_key = ${request.idempotencyKey}`;
      return { outcome: seen.outcome as AttemptOutcome, ringMs: seen.ring_ms };
    }
    const result = simulatedOutcome(request.to, request.channel);
    this.sql`INSERT INTO dials (idempotency_key, confirmation, attempt, channel, recipient, outcome, ring_ms, message, dialed_at_ms)
      VALUES (${request.idempotencyKey}, ${request.confirmation}, ${request.attempt}, ${request.channel}, ${request.to},
      ${result.outcome}, ${result.ringMs}, ${request.message ?? null}, ${arrivedAt})`;
    return result;
  }

  /** Sends each message once per key; an address ending in 0004 is refused, as a text to it fails. */
  async notify(notices: NoticeRequest[]): Promise<NoticeResult[]> {
    const sentAt = this.clock.now();
    return this.ctx.storage.transactionSync(() =>
      notices.map((n) => {
        const seen = this.sql<{ result: NoticeResult }>`SELECT result FROM messages WHERE idempotency_key = ${n.idempotencyKey}`.toArray()[0];
        if (seen) {
          this.sql`UPDATE messages SET requests = requests + 1 WHERE idempotency_key = ${n.idempotencyKey}`;
          return seen.result;
        }
        const result: NoticeResult = simulatedOutcome(n.to, n.channel).outcome === "answered" ? "sent" : "refused";
        this.sql`INSERT INTO messages (idempotency_key, confirmation, notice, channel, recipient, body, result, sent_at_ms)
          VALUES (${n.idempotencyKey}, ${n.confirmation}, ${n.notice}, ${n.channel}, ${n.to}, ${n.message}, ${result}, ${sentAt})`;
        return result;
      }),
    );
  }

  /** The messages sent, oldest first: of one callback, or all after `afterRow`. */
  async messages(confirmation?: string, limit = 1000, afterRow = 0): Promise<MessageRecord[]> {
    const rows =
      confirmation === undefined
        ? this.sql`SELECT rowid, * FROM messages WHERE rowid > ${afterRow} ORDER BY rowid LIMIT ${limit}`.toArray()
        : this.sql`SELECT rowid, * FROM messages WHERE confirmation = ${confirmation} ORDER BY rowid LIMIT ${limit}`.toArray();
    return rows.map((r) => ({
      row: r.rowid as number,
      idempotencyKey: r.idempotency_key as string,
      confirmation: r.confirmation as string,
      notice: r.notice as MessageRecord["notice"],
      channel: r.channel as MessageRecord["channel"],
      to: r.recipient as string,
      message: r.body as string,
      result: r.result as MessageRecord["result"],
      requests: r.requests as number,
      sentAt: new Date(r.sent_at_ms as number).toISOString(),
    }));
  }

  /** For failure tests: place the next dial, then fail to answer the caller. */
  async failNextAnswer(): Promise<void> {
    this.loseNextAnswer = true;
  }

  /** The dial log, for ops and tests: who was called, how, and how often the key was asked for. */
  async dials(confirmation?: string, limit = 1000, afterRow = 0): Promise<DialRecord[]> {
    const rows =
      confirmation === undefined
        ? this.sql`SELECT rowid, * FROM dials WHERE rowid > ${afterRow} ORDER BY rowid LIMIT ${limit}`.toArray()
        : this.sql`SELECT rowid, * FROM dials WHERE confirmation = ${confirmation} ORDER BY rowid LIMIT ${limit}`.toArray();
    return rows.map((r) => ({
      row: r.rowid as number,
      idempotencyKey: r.idempotency_key as string,
      confirmation: r.confirmation as string,
      attempt: r.attempt as number,
      channel: r.channel as string,
      to: r.recipient as string,
      outcome: r.outcome as string,
      message: r.message as string | null,
      requests: r.requests as number,
      dialedAt: r.dialed_at_ms === null ? null : new Date(r.dialed_at_ms as number).toISOString(),
    }));
  }
}
