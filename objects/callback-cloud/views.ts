/**
 * A callback as the cloud stores it (its rows) and as people see it (views): pure
 * mapping from rows to what a customer, or staff, is shown.
 */
import type { Channel } from "../roster/model.ts";
import { UNKNOWN_INTENT, type IntentAnalysis } from "./intents.ts";
import type { CallbackStatus } from "./lifecycle.ts";
import type { AttemptOutcome } from "./media-server.ts";

export interface EventView {
  at: string;
  type: string;
  detail: Record<string, unknown>;
}

export interface AttemptView {
  n: number;
  channel: Channel;
  startedAt: string;
  /** When the dial went to the media server (null until it has). */
  issuedAt: string | null;
  outcome: AttemptOutcome | null;
}

export interface CallbackView {
  confirmation: string;
  status: CallbackStatus;
  scheduledFor: string | null;
  window: { start: string; end: string };
  channel: Channel;
  intent: string;
  attempts: AttemptView[];
  history: EventView[];
  answer: string | null;
  statusUrl: string;
  /** Staff only. */
  agent?: { id: string; siteId: string } | null;
  reservationId?: string | null;
  contact?: { phone?: string; email?: string };
  reason?: string;
  notes?: string | null;
  priority?: number;
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

/** Keys of event details that name the agent or the site, or carry staff notes: customers never see them. */
const STAFF_ONLY_DETAIL = new Set(["siteId", "agentId", "reservationId", "text"]);

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
