/**
 * A shard's confirmations and reminders. Each event of a callback may change what it owes
 * its customer (notice-plan.ts decides): the confirmation once it is first planned, the
 * reminder before its call, moved with the call, dropped once the call is no longer
 * planned. The rows are written in the event's own write; the alarm sends what is due,
 * after the calls it dials, through the provider's media server, each message keyed so a
 * send asked again is one message.
 */
import type { CloudContext } from "./cloud-context.ts";
import { isFinal } from "./lifecycle.ts";
import { deriveVerifier } from "./confirmation.ts";
import type { NoticeRequest } from "./media-server.ts";
import { mediaServerFor } from "./media-server-choice.ts";
import { DEFAULT_NOTICES, manageLink, noticeAddress, noticeText, reminderDue, type NoticeKind, type NoticeSettings } from "./notice-plan.ts";
import type { ProviderRecord } from "./provider-record.ts";
import type { CallbackRow } from "./views.ts";
import type { Channel } from "../../federation/wire/vocabulary.ts";

/** Messages sent per alarm run; the rest go on the next. */
const NOTICE_BATCH = 50;
/** A send that failed is tried again after this, doubled each time, NOTICE_TRIES times in all. */
const NOTICE_RETRY_MS = 30_000;
const NOTICE_TRIES = 5;

type Due = Pick<CallbackRow, "id" | "confirmation" | "status" | "scheduled_for_ms" | "channel" | "media" | "contact" | "notify"> & {
  kind: NoticeKind;
  for_ms: number | null;
  tries: number;
};

/** Events that tell the customer of a message: never themselves a reason for one. */
const OWN_EVENTS = new Set(["notified", "notice_refused"]);

export class Notices {
  constructor(
    private readonly c: CloudContext,
    private readonly provider: ProviderRecord,
    /** The event log, to record what was sent (the store's `event`). */
    private readonly record: (callbackId: string, atMs: number, type: string, detail: Record<string, unknown>) => void,
  ) {}

  private settings(): NoticeSettings {
    return this.provider.get()?.registration.notices ?? DEFAULT_NOTICES;
  }

  /** Called inside each event's write, with the row the event's store read: what the callback now owes its customer. */
  note(callbackId: string, type: string, cb: Pick<CallbackRow, "status" | "scheduled_for_ms" | "channel" | "media" | "contact" | "notify">): void {
    if (OWN_EVENTS.has(type)) return;
    const settings = this.settings();
    if (!settings.confirmation && settings.reminderMinutes === 0) return;
    if (!this.addressOf(cb)) return;
    const now = this.c.now();
    if (settings.confirmation && (type === "scheduled" || type === "waiting")) {
      this.c.sql`INSERT INTO notices (callback_id, kind, due_at_ms) VALUES (${callbackId}, 'confirmation', ${now}) ON CONFLICT DO NOTHING`;
    }
    const due = reminderDue({ settings, status: cb.status, channel: cb.channel, scheduledForMs: cb.scheduled_for_ms, nowMs: now });
    if (due === null) {
      this.c.sql`UPDATE notices SET due_at_ms = NULL WHERE callback_id = ${callbackId} AND kind = 'reminder' AND sent_at_ms IS NULL`;
    } else {
      // A call moved to another time owes a reminder for that time, even if one went for the old.
      this.c.sql`INSERT INTO notices (callback_id, kind, for_ms, due_at_ms) VALUES (${callbackId}, 'reminder', ${cb.scheduled_for_ms}, ${due})
        ON CONFLICT (callback_id, kind) DO UPDATE SET for_ms = excluded.for_ms, due_at_ms = excluded.due_at_ms, tries = 0, sent_at_ms = NULL
        WHERE notices.for_ms IS NOT excluded.for_ms OR (notices.sent_at_ms IS NULL AND notices.due_at_ms IS NULL)`;
    }
  }

  /** Sends what is due (after the run's calls); what failed waits for a later run. */
  async flush(): Promise<void> {
    const now = this.c.now();
    const due = this.c.sql<Due>`SELECT n.kind, n.for_ms, n.tries, cb.id, cb.confirmation, cb.status, cb.scheduled_for_ms, cb.channel, cb.media,
      cb.contact, cb.notify FROM notices n JOIN callbacks cb ON cb.id = n.callback_id
      WHERE n.due_at_ms IS NOT NULL AND n.due_at_ms <= ${now} ORDER BY n.due_at_ms LIMIT ${NOTICE_BATCH}`.toArray();
    const reg = this.provider.get()?.registration;
    if (due.length === 0 || !reg) return;
    const sending: { row: Due; request: NoticeRequest }[] = [];
    for (const row of due) {
      const address = this.addressOf(row);
      // A reminder for a call no longer at its time, or any message for a callback that is over, is not sent.
      const stale = row.kind === "reminder" ? row.status !== "scheduled" || row.scheduled_for_ms !== row.for_ms : isFinal(row.status);
      if (!address || stale) {
        this.c.sql`UPDATE notices SET due_at_ms = NULL WHERE callback_id = ${row.id} AND kind = ${row.kind}`;
        continue;
      }
      const verifier = await deriveVerifier(this.c.env.EDGE_JWT_SECRET, row.confirmation);
      const link = manageLink(this.c.env.PUBLIC_URL ?? "", reg.id, row.confirmation, verifier);
      const message = noticeText({
        kind: row.kind,
        providerName: reg.name,
        confirmation: row.confirmation,
        scheduledForMs: row.status === "scheduled" ? row.scheduled_for_ms : null,
        timeZone: reg.timezone,
        link,
      });
      const from = reg.channels.find((ch) => ch.type === address.channel)?.endpoint ?? "";
      sending.push({
        row,
        request: {
          notice: row.kind,
          idempotencyKey: `${row.id}:${row.kind}:${row.for_ms ?? 0}`,
          confirmation: row.confirmation,
          channel: address.channel,
          to: address.to,
          from,
          message,
        },
      });
    }
    if (sending.length === 0) return;
    let results: Awaited<ReturnType<ReturnType<typeof mediaServerFor>["notify"]>>;
    try {
      results = await mediaServerFor(this.c, reg).notify(sending.map((s) => s.request));
    } catch (err) {
      console.error("notices failed", sending.length, (err as Error).message);
      for (const { row } of sending) {
        const tries = row.tries + 1;
        const next = tries >= NOTICE_TRIES ? null : now + NOTICE_RETRY_MS * 2 ** (tries - 1);
        this.c.sql`UPDATE notices SET tries = ${tries}, due_at_ms = ${next} WHERE callback_id = ${row.id} AND kind = ${row.kind}`;
      }
      return;
    }
    const at = this.c.now();
    this.c.storage.transactionSync(() => {
      for (const [i, { row, request }] of sending.entries()) {
        const sent = results[i] === "sent";
        this.c.sql`UPDATE notices SET due_at_ms = NULL, sent_at_ms = ${sent ? at : null} WHERE callback_id = ${row.id} AND kind = ${row.kind}`;
        this.record(row.id, at, sent ? "notified" : "notice_refused", { notice: row.kind, channel: request.channel });
      }
    });
  }

  /** When the next message is due; null when none is. */
  nextAt(): number | null {
    return this.c.sql<{ t: number | null }>`SELECT min(due_at_ms) AS t FROM notices WHERE due_at_ms IS NOT NULL`.one().t;
  }

  private addressOf(cb: Pick<CallbackRow, "media" | "contact" | "notify">) {
    const reg = this.provider.get()?.registration;
    if (!reg) return null;
    return noticeAddress({
      notify: cb.notify,
      media: JSON.parse(cb.media) as Channel[],
      contact: JSON.parse(cb.contact) as { phone?: string; email?: string },
      providerChannels: reg.channels.map((ch) => ch.type),
    });
  }
}

