/**
 * Anonymous intake's limits, enforced (the provider sets them: limits.ts). A client
 * address and a phone number are each counted by the rate limiter object their hash
 * names, so every shard sees the same count; the provider's whole rate is counted by each shard
 * for its share (customers spread evenly over shards), with no shared counter on every
 * request; an offer's callbacks are counted beside the callbacks, in the same write.
 */
import { limiterFor, rateLimited } from "../rate-limiter/rate-limiter.ts";
import { Windows, type WindowLimit } from "../rate-limiter/windows.ts";
import { fail, ok, type Result } from "../shared/problem.ts";
import type { CloudContext } from "./cloud-context.ts";
import { HOUR_MS, limitsOf, mayDial, MINUTE_MS, OFFER_USES_KEPT_MS, shardShare, type IntakeLimits } from "./limits.ts";
import type { StoredProvider } from "./provider-record.ts";

/** Who is asking, as the edge Worker saw it. */
export interface IntakeCaller {
  /** The client's address (CF-Connecting-IP); null where the platform gave none (local tools). */
  address: string | null;
}

/** The offer a request comes with: its token's id (the edge checked that it has not expired). */
export interface OfferUse {
  id: string;
}

export class IntakeGuard {
  /** This shard's share of the provider's intake rate (in memory: a restart forgets at most a minute). */
  private readonly provider = new Windows();

  constructor(private readonly c: CloudContext) {}

  limits(p: StoredProvider): IntakeLimits {
    return limitsOf(p.registration.limits);
  }

  /** Counts one offer or request against the provider's rate and the caller's address; 429 with the wait when full. */
  async admit(p: StoredProvider, caller: IntakeCaller, phone: string | null, now: number): Promise<Result<void>> {
    const limits = this.limits(p);
    const id = p.registration.id;
    const own = this.provider.admit([{ name: "provider", limit: shardShare(limits.perMinute, p.shards), periodMs: MINUTE_MS }], now);
    if (!own.ok) return rateLimited(own, `requests for ${p.registration.name} right now`);
    const checks: Promise<Result<void>>[] = [];
    if (caller.address) {
      checks.push(this.keyed(`address:${caller.address}`, { name: `address/${id}`, limit: limits.perAddressPerMinute, periodMs: MINUTE_MS }, now, "requests from this address"));
    }
    if (phone) {
      checks.push(this.keyed(`phone:${phone}`, { name: `phone/${id}`, limit: limits.perPhonePerHour, periodMs: HOUR_MS }, now, "callbacks to this number"));
    }
    for (const r of await Promise.all(checks)) if (!r.ok) return r;
    return ok(undefined);
  }

  /** 422 when the provider does not call that number's country. */
  destination(p: StoredProvider, phone: string): Result<void> {
    const limits = this.limits(p);
    if (mayDial(limits, phone)) return ok(undefined);
    return fail(422, "destination_not_allowed", `${p.registration.name} does not call numbers in that country`, {
      allowedCountries: limits.destinationCountries,
    });
  }

  /**
   * Counts a callback against its offer, inside the write that stores the callback
   * (synchronous, so two requests with one offer cannot both take its last use).
   * False when the offer is used up.
   */
  takeOfferUse(p: StoredProvider, offer: OfferUse, now: number): boolean {
    const max = this.limits(p).callbacksPerOffer;
    this.c.sql`DELETE FROM offer_uses WHERE expires_at_ms < ${now}`;
    const used = this.c.sql<{ uses: number }>`SELECT uses FROM offer_uses WHERE offer_id = ${offer.id}`.toArray()[0]?.uses ?? 0;
    if (used >= max) return false;
    // Kept by this shard's clock past the offer's life (the edge checks the token's own expiry).
    this.c.sql`INSERT INTO offer_uses (offer_id, uses, expires_at_ms) VALUES (${offer.id}, 1, ${now + OFFER_USES_KEPT_MS})
      ON CONFLICT (offer_id) DO UPDATE SET uses = uses + 1`;
    return true;
  }

  private async keyed(key: string, limit: WindowLimit, now: number, what: string): Promise<Result<void>> {
    const a = await this.c.env.RATE_LIMITER.getByName(limiterFor(key)).admit(key, [limit], now);
    return a.ok ? ok(undefined) : rateLimited(a, what);
  }
}
