/**
 * Holds this shard gave up and still owes their sites a release. A hold that a
 * re-plan replaces is always released: at once when the site answers, else kept
 * here and asked again (with backoff) on the alarm until the site answers or the
 * hold has expired there by itself. So a site thought down, that was not, never
 * keeps an agent for a callback that moved elsewhere.
 *
 * A reservation whose answer was lost (the site died or hung mid-request) may have been
 * made there, known to nobody: it is swept. Reserving is idempotent per callback and
 * slot, so the very request is made again once the site answers; the hold it names is
 * given back unless it is the one the callback holds now (found by the chaos suite:
 * a site killed while the cloud reserved at it kept an agent for no callback).
 */
import type { ReservationRequest, SiteAnswer } from "../../federation/runtime/site-client.ts";
import { forEachLimited, PREPARE_CONCURRENCY, type CloudContext } from "./cloud-context.ts";

/** First retry after this, doubling up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 60_000;
/** A site's answer to a reserve that says nothing about whether the hold was made: none came, or a failure of the site. */
export const outcomeUnknown = (answer: SiteAnswer<unknown>): boolean => !answer.ok && answer.status >= 500;

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

  /** Owes a sweep of a reserve whose answer was lost; the alarm asks the site again soon. */
  oweSweep(siteId: string, request: ReservationRequest, untilMs: number, now: number, tries = 0): void {
    if (untilMs <= now) return;
    const next = now + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** tries);
    this.c.sql`INSERT INTO owed_sweeps (callback_id, site_id, request, until_ms, next_try_ms, tries)
      VALUES (${request.callbackId}, ${siteId}, ${JSON.stringify(request)}, ${untilMs}, ${next}, ${tries})
      ON CONFLICT (callback_id, site_id, request) DO UPDATE SET next_try_ms = excluded.next_try_ms, tries = excluded.tries`;
  }

  /** The alarm's part: asks again for those due; forgets those expired at their site. */
  async settle(now: number): Promise<void> {
    await this.sweep(now);
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
    return this.c.sql<{ t: number | null }>`SELECT min(t) AS t FROM (SELECT min(next_try_ms) AS t FROM owed_releases UNION ALL SELECT min(next_try_ms) FROM owed_sweeps)`.one().t;
  }

  /** Asks each site again for the holds whose answers were lost; gives back every one its callback does not hold. */
  private async sweep(now: number): Promise<void> {
    this.c.sql`DELETE FROM owed_sweeps WHERE until_ms <= ${now}`;
    const due = this.c.sql<{ callback_id: string; site_id: string; request: string; until_ms: number; tries: number }>`
      SELECT * FROM owed_sweeps WHERE next_try_ms <= ${now} ORDER BY next_try_ms LIMIT ${SETTLE_BATCH}`.toArray();
    await forEachLimited(due, PREPARE_CONCURRENCY, async (r) => {
      const request = JSON.parse(r.request) as ReservationRequest;
      const done = await this.sweepOne(r.site_id, request, r.until_ms, now);
      if (done) this.c.sql`DELETE FROM owed_sweeps WHERE callback_id = ${r.callback_id} AND site_id = ${r.site_id} AND request = ${r.request}`;
      else this.oweSweep(r.site_id, request, r.until_ms, now, r.tries + 1);
    });
  }

  /** True once nothing is left to give back for that request; false to ask again later. */
  private async sweepOne(siteId: string, request: ReservationRequest, untilMs: number, now: number): Promise<boolean> {
    // A few rounds: each names at most one stray hold of the callback here.
    for (let round = 0; round < 3; round++) {
      const held = this.c.sql<{ status: string; site_id: string | null; reservation_id: string | null }>`
        SELECT status, site_id, reservation_id FROM callbacks WHERE id = ${request.callbackId}`.toArray()[0];
      // Being planned: a reserve under way may be this very hold, not yet written down. Later.
      if (held?.status === "pending") return false;
      const keep = held?.site_id === siteId ? held.reservation_id : null;
      const answer = await this.c.sites.reserve(siteId, request);
      let stray: string | null = null;
      if (answer.ok) stray = answer.value.id;
      else if (answer.code === "callback_already_reserved") stray = (answer.details as { reservation?: string } | undefined)?.reservation ?? null;
      else return !outcomeUnknown(answer);
      if (!stray || stray === keep) return true;
      await this.release({ siteId, reservationId: stray, untilMs }, now);
    }
    return false;
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
