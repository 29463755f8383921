/**
 * The callback cloud's reads for the cloud subgraph, as queries over the `Sql`
 * helper: pages of callbacks newest first (by status, by the site that holds
 * them), one callback by confirmation with its history and agent, and the
 * callbacks that agents hold. Each callback comes with its attempts and history in
 * two more queries for the whole page, never one per callback. Every query has a
 * LIMIT; every value is a bound parameter.
 */
import type { Sql, SqlValue } from "../shared/sql.ts";
import type { AttemptRow, CallbackRow } from "./views.ts";

export const MAX_PAGE = 100;
/** History events per callback a read returns, the newest (a callback's life is a few dozen, plus its annotations). */
export const MAX_EVENTS = 200;
export const MAX_AGENT_KEYS = 500;

/** A callback as the subgraph reads it: times in epoch ms, everything staff may see; the resolvers draw the boundary. */
export interface GraphCallback {
  providerId: string;
  confirmation: string;
  status: string;
  scheduledForMs: number | null;
  windowStartMs: number;
  windowEndMs: number;
  channel: string;
  /** The intent analysis, as stored (JSON). */
  intent: string;
  skill: string | null;
  skillLevel: number;
  priority: number;
  siteId: string | null;
  agentId: string | null;
  reservationId: string | null;
  /** JSON: { phone?, email? } */
  contact: string;
  reason: string;
  notes: string | null;
  answer: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  attempts: { n: number; channel: string; startedAtMs: number; issuedAtMs: number | null; outcome: string | null }[];
  events: { atMs: number; type: string; detail: string }[];
}

/** Where the previous page ended: callbacks are ordered newest first, then by confirmation. */
export interface CallbackCursor {
  createdAtMs: number;
  confirmation: string;
}

export interface CallbackPageQuery {
  status?: string | null;
  /** Only callbacks held by an agent of this site (a partner's view). */
  siteId?: string | null;
  first: number;
  after?: CallbackCursor | null;
}

export interface AgentKey {
  siteId: string;
  agentId: string;
}

const bounded = (n: number, max: number) => Math.max(0, Math.min(Math.trunc(n), max));

export function callbackPage(sql: Sql, providerId: string, q: CallbackPageQuery): GraphCallback[] {
  const status = q.status ?? null;
  const siteId = q.siteId ?? null;
  const afterAt = q.after?.createdAtMs ?? null;
  const afterConfirmation = q.after?.confirmation ?? null;
  const rows = sql<CallbackRow>`SELECT * FROM callbacks
    WHERE (${status} IS NULL OR status = ${status})
      AND (${siteId} IS NULL OR site_id = ${siteId})
      AND (${afterAt} IS NULL OR created_at_ms < ${afterAt} OR (created_at_ms = ${afterAt} AND confirmation < ${afterConfirmation}))
    ORDER BY created_at_ms DESC, confirmation DESC LIMIT ${bounded(q.first, MAX_PAGE + 1)}`.toArray();
  return withDetails(sql, providerId, rows);
}

export function callbackByConfirmation(sql: Sql, providerId: string, confirmation: string): GraphCallback | null {
  const rows = sql<CallbackRow>`SELECT * FROM callbacks WHERE confirmation = ${confirmation} LIMIT 1`.toArray();
  return withDetails(sql, providerId, rows)[0] ?? null;
}

/** The callbacks of each agent in `statuses`, soonest first, at most `perAgent` each. */
export function callbacksOfAgents(sql: Sql, providerId: string, keys: readonly AgentKey[], statuses: readonly string[], perAgent: number): GraphCallback[] {
  if (keys.length === 0 || statuses.length === 0) return [];
  const wanted = JSON.stringify(keys.slice(0, MAX_AGENT_KEYS).map((k) => `${k.siteId}\u0000${k.agentId}`));
  const per = bounded(perAgent, MAX_PAGE);
  const rows = sql<CallbackRow>`SELECT * FROM (
      SELECT *, row_number() OVER (PARTITION BY site_id, agent_id
        ORDER BY coalesce(scheduled_for_ms, window_start_ms), confirmation) AS nth
      FROM callbacks
      WHERE status IN (SELECT value FROM json_each(${JSON.stringify(statuses)}))
        AND agent_id IS NOT NULL
        AND site_id || char(0) || agent_id IN (SELECT value FROM json_each(${wanted})))
    WHERE nth <= ${per} ORDER BY coalesce(scheduled_for_ms, window_start_ms), confirmation
    LIMIT ${MAX_AGENT_KEYS * per}`.toArray();
  return withDetails(sql, providerId, rows);
}

/** Attempts and history for a page of callbacks: two queries, whatever the page's size. */
function withDetails(sql: Sql, providerId: string, rows: readonly CallbackRow[]): GraphCallback[] {
  if (rows.length === 0) return [];
  const ids = JSON.stringify(rows.map((r) => r.id));
  const attempts = new Map<string, GraphCallback["attempts"]>();
  for (const a of sql<AttemptRow>`SELECT * FROM attempts WHERE callback_id IN (SELECT value FROM json_each(${ids}))
      ORDER BY callback_id, n LIMIT ${rows.length * 100}`.toArray()) {
    const list = attempts.get(a.callback_id) ?? [];
    list.push({ n: a.n, channel: a.channel, startedAtMs: a.started_at_ms, issuedAtMs: a.issued_at_ms, outcome: a.outcome });
    attempts.set(a.callback_id, list);
  }
  const events = new Map<string, GraphCallback["events"]>();
  for (const e of sql<{ callback_id: string; at_ms: number; type: string; detail: string } & Record<string, SqlValue>>`SELECT callback_id, at_ms, type, detail FROM (
        SELECT *, row_number() OVER (PARTITION BY callback_id ORDER BY seq DESC) AS nth FROM events
        WHERE callback_id IN (SELECT value FROM json_each(${ids})))
      WHERE nth <= ${MAX_EVENTS} ORDER BY callback_id, seq LIMIT ${rows.length * MAX_EVENTS}`.toArray()) {
    const list = events.get(e.callback_id) ?? [];
    list.push({ atMs: e.at_ms, type: e.type, detail: e.detail });
    events.set(e.callback_id, list);
  }
  return rows.map((r) => ({
    providerId,
    confirmation: r.confirmation,
    status: r.status,
    scheduledForMs: r.scheduled_for_ms,
    windowStartMs: r.window_start_ms,
    windowEndMs: r.window_end_ms,
    channel: r.channel,
    intent: r.intent,
    skill: r.skill,
    skillLevel: r.skill_level,
    priority: r.priority,
    siteId: r.site_id,
    agentId: r.agent_id,
    reservationId: r.reservation_id,
    contact: r.contact,
    reason: r.reason,
    notes: r.notes,
    answer: r.answer,
    createdAtMs: r.created_at_ms,
    updatedAtMs: r.updated_at_ms,
    attempts: attempts.get(r.id) ?? [],
    events: events.get(r.id) ?? [],
  }));
}
