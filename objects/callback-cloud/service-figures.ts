/**
 * The service figures ops watch (the console's): callbacks by status, due in the next
 * hour, late, and of those served, the share reached within the customer's window and
 * the mean wait from request to connection. A shard counts its own callbacks per site
 * (its provider is one); the edge adds shards up (`mergeFigures`, pure) per provider and
 * per site. Served figures cover callbacks asked for in the last day.
 */
import { z } from "zod";
import { CALLBACK_STATUSES, type CallbackStatus } from "../../federation/wire/vocabulary.ts";
import type { Sql } from "../shared/sql.ts";

export const FIGURES_PERIOD_MS = 24 * 3_600_000;
/** A callback planned for a time this far past, and not yet dialing, is late. */
export const LATE_AFTER_MS = 60_000;

/** One shard's counts for one site ("" for callbacks no site holds). */
export interface FigureCounts {
  byStatus: Partial<Record<CallbackStatus, number>>;
  dueNextHour: number;
  late: number;
  /** Callbacks of the period that were served or ended: the denominator of `inWindowShare`. */
  settled: number;
  /** Of `settled`, reached (connected, or answered in writing) by the end of the customer's window. */
  inWindow: number;
  /** Callbacks of the period that connected, and their summed wait from request to connection. */
  connected: number;
  waitMsTotal: number;
}

export interface ShardFigures {
  providerId: string;
  bySite: Record<string, FigureCounts>;
}

const empty = (): FigureCounts => ({ byStatus: {}, dueNextHour: 0, late: 0, settled: 0, inWindow: 0, connected: 0, waitMsTotal: 0 });

/** A shard's figures; `siteId` keeps only the callbacks held by that site (a partner's boundary). */
export function shardFigures(sql: Sql, providerId: string, nowMs: number, siteId: string | null): ShardFigures {
  const bySite: Record<string, FigureCounts> = {};
  const of = (site: string | null) => (bySite[site ?? ""] ??= empty());
  const site = siteId ?? null;
  for (const r of sql<{ site_id: string | null; status: CallbackStatus; n: number; due: number; late: number }>`SELECT site_id, status,
      count(*) AS n,
      sum(status = 'scheduled' AND scheduled_for_ms BETWEEN ${nowMs} AND ${nowMs + 3_600_000}) AS due,
      sum(status IN ('scheduled', 'retrying') AND scheduled_for_ms < ${nowMs - LATE_AFTER_MS}) AS late
    FROM callbacks WHERE (${site} IS NULL OR site_id = ${site}) GROUP BY site_id, status`.toArray()) {
    const f = of(r.site_id);
    f.byStatus[r.status] = (f.byStatus[r.status] ?? 0) + r.n;
    f.dueNextHour += r.due ?? 0;
    f.late += r.late ?? 0;
  }
  // Reached: the first connection (or the written answer) and when it came, for callbacks of the period.
  for (const r of sql<{ site_id: string | null; settled: number; in_window: number; connected: number; wait: number | null }>`SELECT site_id,
      count(*) AS settled,
      sum(coalesce(reached_ms, ${Number.MAX_SAFE_INTEGER}) <= window_end_ms) AS in_window,
      sum(connected_ms IS NOT NULL) AS connected,
      sum(connected_ms - created_at_ms) AS wait
    FROM (SELECT c.site_id, c.window_end_ms, c.created_at_ms,
        (SELECT min(at_ms) FROM events e WHERE e.callback_id = c.id AND e.type = 'connected') AS connected_ms,
        (SELECT min(at_ms) FROM events e WHERE e.callback_id = c.id AND e.type IN ('connected', 'answered')) AS reached_ms
      FROM callbacks c
      WHERE c.status IN ('connected', 'completed', 'answered', 'failed', 'expired') AND c.created_at_ms >= ${nowMs - FIGURES_PERIOD_MS}
        AND (${site} IS NULL OR c.site_id = ${site}))
    GROUP BY site_id`.toArray()) {
    const f = of(r.site_id);
    f.settled += r.settled;
    f.inWindow += r.in_window ?? 0;
    f.connected += r.connected ?? 0;
    f.waitMsTotal += r.wait ?? 0;
  }
  return { providerId, bySite };
}

export const serviceFiguresSchema = z
  .strictObject({
    byStatus: z.record(z.enum(CALLBACK_STATUSES), z.number().int()).meta({ description: "Callbacks in each status (all time)" }),
    dueNextHour: z.number().int(),
    late: z.number().int().meta({ description: `Planned more than ${LATE_AFTER_MS / 1000} s ago and not yet dialing` }),
    failed: z.number().int(),
    inWindowShare: z.number().nullable().meta({ description: "Of callbacks served or ended in the last day, the share reached within the customer's window (null: none)" }),
    meanWaitSeconds: z.number().nullable().meta({ description: "Mean time from request to connection, over the last day's connected callbacks (null: none)" }),
  })
  .meta({ id: "ServiceFigures" });
export type ServiceFigures = z.infer<typeof serviceFiguresSchema>;

function add(into: FigureCounts, f: FigureCounts): void {
  for (const [status, n] of Object.entries(f.byStatus) as [CallbackStatus, number][]) into.byStatus[status] = (into.byStatus[status] ?? 0) + n;
  into.dueNextHour += f.dueNextHour;
  into.late += f.late;
  into.settled += f.settled;
  into.inWindow += f.inWindow;
  into.connected += f.connected;
  into.waitMsTotal += f.waitMsTotal;
}

function finish(f: FigureCounts): ServiceFigures {
  return {
    byStatus: Object.fromEntries(CALLBACK_STATUSES.map((s) => [s, f.byStatus[s] ?? 0])) as Record<CallbackStatus, number>,
    dueNextHour: f.dueNextHour,
    late: f.late,
    failed: f.byStatus.failed ?? 0,
    inWindowShare: f.settled === 0 ? null : f.inWindow / f.settled,
    meanWaitSeconds: f.connected === 0 ? null : Math.round(f.waitMsTotal / f.connected / 100) / 10,
  };
}

/** Every shard's figures, added up: in all, per provider, per site (callbacks no site holds are in `total` and their provider only). */
export function mergeFigures(shards: readonly ShardFigures[]) {
  const total = empty();
  const providers = new Map<string, FigureCounts>();
  const sites = new Map<string, FigureCounts>();
  for (const s of shards) {
    const provider = providers.get(s.providerId) ?? empty();
    providers.set(s.providerId, provider);
    for (const [siteId, f] of Object.entries(s.bySite)) {
      add(total, f);
      add(provider, f);
      if (siteId) {
        const site = sites.get(siteId) ?? empty();
        sites.set(siteId, site);
        add(site, f);
      }
    }
  }
  const sorted = <T>(m: Map<string, FigureCounts>, key: "providerId" | "siteId") =>
    [...m].sort(([a], [b]) => a.localeCompare(b)).map(([id, f]) => ({ [key]: id, ...finish(f) }) as T);
  return {
    total: finish(total),
    byProvider: sorted<ServiceFigures & { providerId: string }>(providers, "providerId"),
    bySite: sorted<ServiceFigures & { siteId: string }>(sites, "siteId"),
  };
}
