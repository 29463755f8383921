/**
 * Holds this shard gave up and still owes their sites a release. A hold that a
 * re-plan replaces is always released: at once when the site answers, else kept
 * here and asked again (with backoff) on the alarm until the site answers or the
 * hold has expired there by itself. So a site thought down, that was not, never
 * keeps an agent for a callback that moved elsewhere.
 */
import { forEachLimited, PREPARE_CONCURRENCY, type CloudContext } from "./cloud-context.ts";

/** First retry after this, doubling up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 60_000;
/** Owed releases asked again in one alarm run, at most. */
const SETTLE_BATCH = 200;

export interface HeldAt {
  siteId: string;
  reservationId: string;
  /** When the hold ends at the site by itself: nothing is owed after it. */
  untilMs: number;
}

export class HoldReleases {
  constructor(private readonly c: CloudContext) {}

  /** Releases now; when the site does not answer, owes it. */
  async release(hold: HeldAt, now: number): Promise<void> {
    if (!(await this.tryRelease(hold))) this.owe(hold, now, 0);
  }

  /** Owes a release without asking now (the site is thought down); the alarm asks soon. */
  owe(hold: HeldAt, now: number, tries = 0): void {
    if (hold.untilMs <= now) return;
    const next = now + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** tries);
    this.c.sql`INSERT INTO owed_releases (reservation_id, site_id, until_ms, next_try_ms, tries)
      VALUES (${hold.reservationId}, ${hold.siteId}, ${hold.untilMs}, ${next}, ${tries})
      ON CONFLICT (reservation_id) DO UPDATE SET next_try_ms = excluded.next_try_ms, tries = excluded.tries`;
  }

  /** The alarm's part: asks again for those due; forgets those expired at their site. */
  async settle(now: number): Promise<void> {
    this.c.sql`DELETE FROM owed_releases WHERE until_ms <= ${now}`;
    const due = this.c.sql<{ reservation_id: string; site_id: string; until_ms: number; tries: number }>`
      SELECT * FROM owed_releases WHERE next_try_ms <= ${now} ORDER BY next_try_ms LIMIT ${SETTLE_BATCH}`.toArray();
    await forEachLimited(due, PREPARE_CONCURRENCY, async (r) => {
      const hold = { siteId: r.site_id, reservationId: r.reservation_id, untilMs: r.until_ms };
      if (await this.tryRelease(hold)) this.c.sql`DELETE FROM owed_releases WHERE reservation_id = ${r.reservation_id}`;
      else this.owe(hold, now, r.tries + 1);
    });
  }

  /** When the alarm must next ask a site; null when nothing is owed. */
  nextAt(): number | null {
    return this.c.sql<{ t: number | null }>`SELECT min(next_try_ms) AS t FROM owed_releases`.one().t;
  }

  /** Owed releases, for ops and tests. */
  owed(): HeldAt[] {
    return this.c.sql<{ reservation_id: string; site_id: string; until_ms: number }>`
      SELECT reservation_id, site_id, until_ms FROM owed_releases ORDER BY next_try_ms LIMIT 1000`
      .toArray()
      .map((r) => ({ siteId: r.site_id, reservationId: r.reservation_id, untilMs: r.until_ms }));
  }

  /** True when the site released it, or says it has no such hold (released, expired, never there). */
  private async tryRelease(hold: HeldAt): Promise<boolean> {
    const answer = await this.c.sites.release(hold.siteId, hold.reservationId);
    return answer.ok || answer.status === 404;
  }
}
