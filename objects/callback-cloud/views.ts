/**
 * A callback as the cloud stores it (its rows) and as people see it (views): pure
 * mapping from rows to what a customer, or staff, is shown.
 */
import { z } from "zod";
import { channel } from "../roster/model.ts";
import { UNKNOWN_INTENT, type IntentAnalysis } from "./intents.ts";
import { type AttemptOutcome, CALLBACK_STATUSES, type CallbackStatus, type Channel, OUTCOMES } from "../../federation/wire/vocabulary.ts";

/** Instants leave the cloud as `toISOString()` answers them: UTC, with milliseconds. */
const instant = z.iso.datetime();

// The views are zod schemas (their types are inferred), so the Workers document exactly what is returned.

export const eventViewSchema = z
  .strictObject({ at: instant, type: z.string(), detail: z.record(z.string(), z.unknown()) })
  .meta({
    id: "CallbackEvent",
    description: "One step of a callback's history. Customers never see details that name the agent, its site, the reservation or staff notes.",
  });
export type EventView = z.infer<typeof eventViewSchema>;

export const attemptViewSchema = z
  .strictObject({
    n: z.number().int().min(1),
    channel,
    startedAt: instant,
    /** When the dial went to the media server (null until it has). */
    issuedAt: instant.nullable(),
    outcome: z.enum(OUTCOMES).nullable(),
  })
  .meta({ id: "CallbackAttempt", description: "One try to reach the customer; `outcome` is null while it is under way." });
export type AttemptView = z.infer<typeof attemptViewSchema>;

export const callbackViewSchema = z
  .strictObject({
    confirmation: z.string(),
    status: z.enum(CALLBACK_STATUSES),
    scheduledFor: instant.nullable(),
    window: z.strictObject({ start: instant, end: instant }),
    channel,
    intent: z.string(),
    attempts: z.array(attemptViewSchema),
    history: z.array(eventViewSchema),
    answer: z.string().nullable(),
    statusUrl: z.string().meta({ description: "This callback at the edge (absolute when the edge knows its PUBLIC_URL)" }),
    // Staff only, from here on.
    agent: z.strictObject({ id: z.string(), siteId: z.string() }).nullable().optional(),
    reservationId: z.string().nullable().optional(),
    contact: z.strictObject({ phone: z.string().optional(), email: z.string().optional() }).optional(),
    reason: z.string().optional(),
    notes: z.string().nullable().optional(),
    priority: z.number().int().optional(),
  })
  .meta({
    id: "Callback",
    description: "A callback as its customer sees it; staff (admin, ops, its agent) also see `agent`, `reservationId`, `contact`, `reason`, `notes` and `priority`.",
  });
export type CallbackView = z.infer<typeof callbackViewSchema>;

/** What a callback request answers, as the cloud makes it; the edge adds the links to follow it. */
export const callbackReceiptSchema = callbackViewSchema
  .pick({ confirmation: true, status: true, scheduledFor: true, window: true, channel: true, intent: true })
  .extend({
    verifier: z.string().meta({ description: "Proves the customer: keep it; it is shown once" }),
    notice: z
      .string()
      .optional()
      .meta({ description: "Why the callback waits, in words, when it cannot happen now (e.g. closed until the next opening)" }),
  });
export type CallbackReceipt = z.infer<typeof callbackReceiptSchema>;

/** The receipt of a callback, from its view (the notice is the one recorded on receipt: an asap request while closed). */
export function receiptOf(view: CallbackView, verifier: string): CallbackReceipt {
  const notice = view.history.find((e) => e.type === "received")?.detail.notice;
  const { confirmation, status, scheduledFor, window, channel, intent } = view;
  return { confirmation, status, scheduledFor, window, channel, intent, verifier, ...(typeof notice === "string" ? { notice } : {}) };
}

export type CallbackRow = {
  id: string;
  confirmation: string;
  verifier_hash: string;
  idempotency_key: string;
  request_hash: string;
  user_id: string;
  status: CallbackStatus;
  reason: string;
  notes: string | null;
  language: string;
  intent: string;
  skill: string | null;
  skill_level: number;
  priority: number;
  media: string;
  contact: string;
  window_start_ms: number;
  window_end_ms: number;
  scheduled_for_ms: number | null;
  channel: Channel;
  site_id: string | null;
  agent_id: string | null;
  reservation_id: string | null;
  answer: string | null;
  due_at_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
  claimed_at_ms: number | null;
  reserved_until_ms: number | null;
  /** Where the customer's confirmation and reminder go, as they chose (null: by their media). */
  notify: "sms" | "email" | "none" | null;
  /** 1 when asked for as soon as possible. */
  asap: number;
};

export type AttemptRow = {
  idempotency_key: string;
  callback_id: string;
  n: number;
  channel: Channel;
  started_at_ms: number;
  outcome: AttemptOutcome | null;
  ended_at_ms: number | null;
  issued_at_ms: number | null;
};

/**
 * Keys of event details that name the agent or the site, or carry staff notes or the
 * inside story of a change (`why`, beside the customer's `reason`): customers never see them.
 */
const STAFF_ONLY_DETAIL = new Set(["siteId", "agentId", "reservationId", "text", "why"]);

const iso = (ms: number) => new Date(ms).toISOString();

export function customerDetail(detail: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(detail).filter(([k]) => !STAFF_ONLY_DETAIL.has(k)));
}

/** What a customer (or, with more, staff) sees of a callback. */
export function callbackView(cb: CallbackRow, attempts: readonly AttemptRow[], history: EventView[], staff: boolean, publicUrl: string): CallbackView {
  const base: CallbackView = {
    confirmation: cb.confirmation,
    status: cb.status,
    scheduledFor: cb.scheduled_for_ms === null ? null : iso(cb.scheduled_for_ms),
    window: { start: iso(cb.window_start_ms), end: iso(cb.window_end_ms) },
    channel: cb.channel,
    intent: (JSON.parse(cb.intent) as IntentAnalysis).intent.name ?? UNKNOWN_INTENT,
    attempts: attempts.map((a) => ({
      n: a.n,
      channel: a.channel,
      startedAt: iso(a.started_at_ms),
      issuedAt: a.issued_at_ms === null ? null : iso(a.issued_at_ms),
      outcome: a.outcome,
    })),
    history,
    answer: cb.answer,
    statusUrl: `${publicUrl}/v1/callbacks/${cb.confirmation}`,
  };
  if (!staff) return base;
  return {
    ...base,
    agent: cb.site_id && cb.agent_id ? { id: cb.agent_id, siteId: cb.site_id } : null,
    reservationId: cb.reservation_id,
    contact: JSON.parse(cb.contact),
    reason: cb.reason,
    notes: cb.notes,
    priority: cb.priority,
  };
}
