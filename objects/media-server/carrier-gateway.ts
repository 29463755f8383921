/**
 * The carrier adapter: one object per provider that dials and texts through the provider's
 * carrier account (Twilio's REST shape) and takes the carrier's signed status callbacks.
 *
 * A carrier's REST API has no idempotency key, so this object keeps one row per key and
 * sends a key at most once: a dial whose answer was lost (a network error, a 5xx) is never
 * sent again; its status callbacks still arrive, or the attempt times out and the session
 * manager retries with a new attempt. A status callback is taken once: the carrier's
 * signature has no timestamp, so each (call, status, leg) heard is remembered, and one
 * heard again is refused as a replay.
 */
import { DurableObject } from "cloudflare:workers";
import type { AttemptOutcome, Channel } from "../../federation/wire/vocabulary.ts";
import type { DialRequest, DialResult, NoticeRequest, NoticeResult } from "../callback-cloud/media-server.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { migrate, sqlOf, type Sql } from "../shared/sql.ts";
import { callForm, callOutcome, messageForm, messageOutcome, type Form, type Leg } from "./carrier-calls.ts";
import type { CarrierConfig } from "./carrier-config.ts";
import { isCarrierSigned } from "./carrier-signature.ts";

const MIGRATIONS = [
  {
    version: 1,
    name: "sends and status callbacks heard",
    up: [
      "CREATE TABLE config (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)",
      `CREATE TABLE sends (
        idempotency_key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        confirmation TEXT NOT NULL,
        attempt INTEGER,
        sid TEXT,
        state TEXT NOT NULL,
        detail TEXT,
        at_ms INTEGER NOT NULL
      )`,
      "CREATE TABLE heard (sid TEXT NOT NULL, status TEXT NOT NULL, leg TEXT NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (sid, status, leg))",
      "CREATE INDEX heard_by_age ON heard (at_ms)",
    ],
  },
] as const;

/** How long a status heard is remembered: far beyond any carrier's retries of one callback. */
const HEARD_FOR_MS = 7 * 86_400_000;
/** A carrier that does not answer in this long is not waited for (the send's fate is then unknown). */
const CARRIER_TIMEOUT_MS = 10_000;

/** What the edge passes with each send: the account, and how to name the status callback URL. */
export interface CarrierContext {
  config: CarrierConfig;
  providerId: string;
  providerName: string;
  /** The edge's public URL: the carrier calls back there. */
  publicUrl: string;
}

/** A status callback as the route read it: the URL the carrier signed, the form, the signature. */
export interface StatusCallback {
  url: string;
  params: Record<string, string>;
  signature: string | null;
}

export type StatusVerdict =
  | { kind: "refused"; status: 401 | 404 | 409; code: string; message: string }
  | { kind: "noted" }
  | { kind: "outcome"; confirmation: string; attempt: number; outcome: AttemptOutcome; heard: { sid: string; status: string; leg: Leg } };

type SendRow = { kind: string; confirmation: string; attempt: number | null; sid: string | null; state: string };

export class CarrierGateway extends DurableObject {
  clock: Clock = systemClock;
  private readonly sql: Sql;
  // Wrapped: workerd refuses a fetch called with another `this`.
  fetcher: typeof fetch = (input, init) => fetch(input, init);

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.sql = sqlOf(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS, this.clock.now());
    });
  }

  /** The provider's account as registered (null: it has none now); status callbacks are checked with it. */
  async configure(config: CarrierConfig | null): Promise<void> {
    if (config) this.sql`INSERT INTO config (id, json) VALUES (1, ${JSON.stringify(config)}) ON CONFLICT (id) DO UPDATE SET json = excluded.json`;
    else this.sql`DELETE FROM config`;
  }

  async dialMany(context: CarrierContext, requests: DialRequest[]): Promise<DialResult[]> {
    return Promise.all(requests.map((r) => this.dialOne(context, r)));
  }

  async notify(context: CarrierContext, notices: NoticeRequest[]): Promise<NoticeResult[]> {
    return Promise.all(
      notices.map(async (n) => {
        if (n.channel !== "sms") return "refused";
        const seen = this.send(n.idempotencyKey);
        if (seen) return seen.state === "refused" ? "refused" : "sent";
        const sent = await this.post(context.config, "Messages", n.idempotencyKey, "notice", n.confirmation, null, messageForm(n.from, n.to, n.message));
        // A notice whose answer was lost may be asked for again: a reminder twice is better than none (a call is never sent twice).
        if (sent === "unknown") {
          this.sql`DELETE FROM sends WHERE idempotency_key = ${n.idempotencyKey}`;
          throw new Error("the carrier did not answer");
        }
        return sent === "accepted" ? "sent" : "refused";
      }),
    );
  }

  private async dialOne(context: CarrierContext, r: DialRequest): Promise<DialResult> {
    const seen = this.send(r.idempotencyKey);
    // Asked again: never a second call; the status callbacks (or the attempt's timeout) decide.
    if (seen) return seen.state === "refused" ? { outcome: "failed", ringMs: 0 } : { outcome: null };
    if (!carried(r.channel)) return { outcome: "failed", ringMs: 0 };
    const statusUrl = (leg: Leg) =>
      `${context.publicUrl.replace(/\/+$/, "")}/v1/carrier/${encodeURIComponent(context.providerId)}/status?key=${encodeURIComponent(r.idempotencyKey)}&leg=${leg}`;
    const sms = r.channel === "sms";
    const form = sms ? messageForm(r.from, r.to, r.message ?? "", statusUrl("customer")) : callForm(context.config, r, statusUrl, context.providerName);
    const sent = await this.post(context.config, sms ? "Messages" : "Calls", r.idempotencyKey, sms ? "message" : "call", r.confirmation, r.attempt, form);
    return sent === "refused" ? { outcome: "failed", ringMs: 0 } : { outcome: null };
  }

  /** One REST call, recorded before it leaves; the row says what became of it. */
  private async post(
    config: CarrierConfig,
    resource: "Calls" | "Messages",
    key: string,
    kind: string,
    confirmation: string,
    attempt: number | null,
    form: Form,
  ): Promise<"accepted" | "refused" | "unknown"> {
    this.sql`INSERT INTO sends (idempotency_key, kind, confirmation, attempt, state, at_ms)
      VALUES (${key}, ${kind}, ${confirmation}, ${attempt}, 'sending', ${this.clock.now()})`;
    const url = `${config.baseUrl.replace(/\/+$/, "")}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/${resource}.json`;
    let state: "accepted" | "refused" | "unknown";
    let sid: string | null = null;
    let detail: string | null = null;
    try {
      const res = await this.fetcher(url, {
        method: "POST",
        headers: { authorization: `Basic ${btoa(`${config.accountSid}:${config.authToken}`)}`, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(CARRIER_TIMEOUT_MS),
      });
      const body = (await res.json().catch(() => ({}))) as { sid?: unknown; code?: unknown; message?: unknown };
      // 4xx: the carrier refused it, and placed nothing. 5xx: it may or may not have.
      state = res.ok ? "accepted" : res.status < 500 ? "refused" : "unknown";
      sid = typeof body.sid === "string" ? body.sid : null;
      detail = res.ok ? null : `${res.status} ${String(body.code ?? "")} ${String(body.message ?? "")}`.trim().slice(0, 300);
    } catch (err) {
      state = "unknown";
      detail = String((err as Error).message).slice(0, 300);
    }
    if (state !== "accepted") console.error("carrier send", kind, confirmation, state, detail);
    this.sql`UPDATE sends SET state = ${state}, sid = ${sid}, detail = ${detail} WHERE idempotency_key = ${key}`;
    return state;
  }

  /**
   * A status callback: refused unless the carrier signed it with the account's token and the
   * account is the provider's, refused again when heard before; otherwise what it means.
   * Marked heard here: the route calls `unhear` when the callback could not apply it.
   */
  async status(callback: StatusCallback, key: string, leg: Leg): Promise<StatusVerdict> {
    const config = this.config();
    const signed = config !== null && (await isCarrierSigned(config.authToken, callback.url, callback.params, callback.signature));
    // The token is the account's own; an AccountSid, where the form names one, must be the account too.
    const account = callback.params.AccountSid;
    if (!config || !signed || (account !== undefined && account !== config.accountSid)) {
      return { kind: "refused", status: 401, code: "bad_signature", message: "the status callback is not signed by this provider's carrier account" };
    }
    const send = this.send(key);
    const sid = callback.params.CallSid ?? callback.params.MessageSid ?? callback.params.SmsSid ?? "";
    // The call itself, or (agent-first) the customer's leg it dialed; a send whose answer was lost has no sid to compare.
    const belongs = send !== null && (send.sid === null || send.sid === sid || callback.params.ParentCallSid === send.sid);
    if (!send || send.attempt === null || !belongs) {
      return { kind: "refused", status: 404, code: "send_not_found", message: "no call or message of this provider has that key" };
    }
    const status = callback.params.CallStatus ?? callback.params.MessageStatus ?? callback.params.SmsStatus ?? "";
    const now = this.clock.now();
    this.sql`DELETE FROM heard WHERE at_ms < ${now - HEARD_FOR_MS}`;
    const fresh = this.sql`INSERT INTO heard (sid, status, leg, at_ms) VALUES (${sid}, ${status}, ${leg}, ${now}) ON CONFLICT DO NOTHING RETURNING sid`.toArray();
    if (fresh.length === 0) return { kind: "refused", status: 409, code: "replayed", message: "this status callback was taken already" };
    const outcome = send.kind === "message" ? messageOutcome(callback.params) : callOutcome(callback.params, leg);
    return outcome === null
      ? { kind: "noted" }
      : { kind: "outcome", confirmation: send.confirmation, attempt: send.attempt, outcome, heard: { sid, status, leg } };
  }

  /** The outcome could not be applied: the carrier's retry of the same callback is taken then. */
  async unhear(heard: { sid: string; status: string; leg: Leg }): Promise<void> {
    this.sql`DELETE FROM heard WHERE sid = ${heard.sid} AND status = ${heard.status} AND leg = ${heard.leg}`;
  }

  /** Ops and tests: what was sent for a confirmation. */
  async sends(confirmation: string): Promise<{ key: string; kind: string; attempt: number | null; sid: string | null; state: string }[]> {
    return this.sql<{ idempotency_key: string; kind: string; attempt: number | null; sid: string | null; state: string }>`SELECT idempotency_key, kind,
      attempt, sid, state FROM sends WHERE confirmation = ${confirmation} ORDER BY at_ms, idempotency_key LIMIT 100`
      .toArray()
      .map((r) => ({ key: r.idempotency_key, kind: r.kind, attempt: r.attempt, sid: r.sid, state: r.state }));
  }

  private send(key: string): SendRow | null {
    return this.sql<SendRow>`SELECT kind, confirmation, attempt, sid, state FROM sends WHERE idempotency_key = ${key}`.toArray()[0] ?? null;
  }

  private config(): CarrierConfig | null {
    const row = this.sql<{ json: string }>`SELECT json FROM config WHERE id = 1`.toArray()[0];
    return row ? (JSON.parse(row.json) as CarrierConfig) : null;
  }
}

/** The carrier carries calls and texts; email, chat and video are not its. */
const carried = (channel: Channel) => channel === "voice" || channel === "sms";
