/**
 * What a provider allows anonymous intake to do, and the defaults when it says
 * nothing: offers and requests per client address, callbacks per phone number and per
 * offer token, the provider's whole intake rate, and where it may dial. Pure: the
 * registration's schema and the decisions on it; intake-guard.ts enforces them.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { z } from "zod";

export const limitsSchema = z
  .strictObject({
    callbacksPerOffer: z.number().int().min(1, "at least 1").max(10, "at most 10").optional()
      .meta({ description: "How many callbacks one offer token may ask for (default 1)." }),
    perAddressPerMinute: z.number().int().min(1, "at least 1").max(6000, "at most 6000").optional()
      .meta({ description: "Offers and requests one client address may make a minute (default 60)." }),
    perPhonePerHour: z.number().int().min(1, "at least 1").max(100, "at most 100").optional()
      .meta({ description: "Callbacks one phone number may be asked for an hour (default 10)." }),
    perMinute: z.number().int().min(1, "at least 1").max(100_000, "at most 100000").optional()
      .meta({ description: "Offers and requests the provider takes a minute, from everyone (default 6000)." }),
    destinationCountries: z
      .array(z.string().regex(/^[A-Z]{2}$/, "a country is an ISO 3166-1 alpha-2 code, e.g. US"))
      .min(1, "name at least one country, or leave the list out to dial anywhere")
      .max(250)
      .optional()
      .meta({ description: "The only countries it calls or texts (ISO 3166-1 alpha-2); absent: anywhere." }),
  })
  .meta({ id: "IntakeLimits", description: "What anonymous intake may do for this provider; every field has a default." });

export type IntakeLimitsInput = z.infer<typeof limitsSchema>;

export interface IntakeLimits {
  callbacksPerOffer: number;
  perAddressPerMinute: number;
  perPhonePerHour: number;
  perMinute: number;
  destinationCountries: readonly string[] | null;
}

export const DEFAULT_LIMITS: IntakeLimits = {
  callbacksPerOffer: 1,
  perAddressPerMinute: 60,
  perPhonePerHour: 10,
  perMinute: 6000,
  destinationCountries: null,
};

/** How long an offer's count of callbacks is kept after its first: longer than an offer lives (15 minutes). */
export const OFFER_USES_KEPT_MS = 60 * 60_000;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export function limitsOf(given: IntakeLimitsInput | undefined): IntakeLimits {
  return {
    callbacksPerOffer: given?.callbacksPerOffer ?? DEFAULT_LIMITS.callbacksPerOffer,
    perAddressPerMinute: given?.perAddressPerMinute ?? DEFAULT_LIMITS.perAddressPerMinute,
    perPhonePerHour: given?.perPhonePerHour ?? DEFAULT_LIMITS.perPhonePerHour,
    perMinute: given?.perMinute ?? DEFAULT_LIMITS.perMinute,
    destinationCountries: given?.destinationCountries ?? null,
  };
}

/** The country a number belongs to, or null for one that belongs to none (+800, +882 …). */
export function countryOf(phone: string): string | null {
  return parsePhoneNumberFromString(phone)?.country ?? null;
}

/** Whether the provider dials this number: anywhere without a list, else only its countries. */
export function mayDial(limits: IntakeLimits, phone: string): boolean {
  if (!limits.destinationCountries) return true;
  const country = countryOf(phone);
  return country !== null && limits.destinationCountries.includes(country);
}

/**
 * A share of a provider-wide rate for one of its shards: customers spread evenly over
 * shards (by id), so each counts its share locally and the provider's total holds
 * without a shared counter on every request (rounded up: never below the whole / N).
 */
export function shardShare(perMinute: number, shards: number): number {
  return Math.max(1, Math.ceil(perMinute / Math.max(1, shards)));
}
