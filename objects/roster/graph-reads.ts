/**
 * The roster's reads for the site subgraph, as queries over the `Sql` helper:
 * pages of agents ordered by their opaque ref (so pages from every site merge in
 * one order at the edge), agents by ref, and pages of reservations newest first.
 * Every query is bounded by a LIMIT; every value is a bound parameter.
 */
import type { Sql, SqlValue } from "../shared/sql.ts";
import type { ListedOutside } from "./model.ts";

/** Most rows one page may ask for. */
export const MAX_PAGE = 100;
/** Most refs one look-up may name (the gateway batches a query's agents per site). */
export const MAX_REFS = 500;

export interface AgentPageQuery {
  skill?: string | null;
  /** With `skill`: the lowest level that counts (1 by default). */
  minLevel?: number | null;
  state?: string | null;
  channel?: string | null;
  /** The ref of the last agent of the previous page. */
  after?: string | null;
  first: number;
  /** Which resources the caller may list: all (inside the site's boundary), the federated ones, or none (exposure.ts). */
  scope: ListScope;
}

/** `whole`: inside the site's boundary; else what the site lists outside it (model.ts `listedOutside`). */
export type ListScope = "whole" | ListedOutside;

export interface ReservationPageQuery {
  /** held | claimed | released | expired, as the reservation is now (a held one past its expiry is expired). */
  status?: string | null;
  /** The id of the last reservation of the previous page. */
  after?: string | null;
  first: number;
}

type Row = Record<string, SqlValue>;

const bounded = (first: number, max: number) => Math.max(0, Math.min(Math.trunc(first), max));

/** Resource rows of one page, ordered by ref. */
export function agentPageRows(sql: Sql, q: AgentPageQuery): Row[] {
  const skill = q.skill ?? null;
  const minLevel = Math.max(1, q.minLevel ?? 1);
  return sql`SELECT * FROM resources
    WHERE (${q.scope} = 'whole' OR (${q.scope} = 'federated' AND exposure = 'federated'))
      AND (${q.state ?? null} IS NULL OR state = ${q.state ?? null})
      AND (${skill} IS NULL OR coalesce(json_extract(skills, '$.' || ${skill}), 0) >= ${minLevel})
      AND (${q.channel ?? null} IS NULL OR EXISTS (SELECT 1 FROM json_each(channels) WHERE value = ${q.channel ?? null}))
      AND (${q.after ?? null} IS NULL OR ref > ${q.after ?? null})
    ORDER BY ref LIMIT ${bounded(q.first, MAX_PAGE)}`.toArray();
}

/** Resource rows with these refs (any order; the caller puts them in the order asked). */
export function agentRowsByRef(sql: Sql, refs: readonly string[], scope: ListScope): Row[] {
  if (refs.length === 0) return [];
  const wanted = JSON.stringify(refs.slice(0, MAX_REFS));
  return sql`SELECT * FROM resources WHERE ref IN (SELECT value FROM json_each(${wanted}))
    AND (${scope} = 'whole' OR (${scope} = 'federated' AND exposure = 'federated')) LIMIT ${MAX_REFS}`.toArray();
}

/** Reservation rows of one page, newest first. */
export function reservationPageRows(sql: Sql, q: ReservationPageQuery, nowMs: number): Row[] {
  const status = q.status ?? null;
  const after = q.after ?? null;
  return sql`SELECT * FROM reservations
    WHERE (${status} IS NULL
        OR (${status} = 'held' AND status = 'held' AND expires_at_ms > ${nowMs})
        OR (${status} = 'expired' AND (status = 'expired' OR (status = 'held' AND expires_at_ms <= ${nowMs})))
        OR (${status} IN ('claimed', 'released') AND status = ${status}))
      AND (${after} IS NULL OR (created_at_ms, id) < (SELECT created_at_ms, id FROM reservations WHERE id = ${after}))
    ORDER BY created_at_ms DESC, id DESC LIMIT ${bounded(q.first, MAX_PAGE)}`.toArray();
}

/** The refs of roster ids (reservations name agents by roster id inside the site). */
export function agentIdsRefs(sql: Sql, ids: readonly string[]): Row[] {
  if (ids.length === 0) return [];
  return sql`SELECT id, ref FROM resources WHERE id IN (SELECT value FROM json_each(${JSON.stringify(ids)})) LIMIT ${MAX_PAGE}`.toArray();
}
