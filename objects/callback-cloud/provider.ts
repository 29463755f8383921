/**
 * The provider registration (body of `POST /v1/providers`, see
 * examples/providers/). zod is the source of the type; every rule
 * reports at the path of the field it is about, so a 400 can name it
 * (`channels.1.endpoint`, `rules.businessHours.mon.0`, `intents.2.name`, …).
 *
 * Choices worth knowing:
 * - One channel per type: the endpoint of a type is the provider's caller id or
 *   sender address for that medium, so two of the same type would be ambiguous.
 * - Endpoints by type: voice and sms take an E.164 number (see `e164`; kept in its
 *   canonical form); email an address; chat and video an https URL (the provider's
 *   chat or video entry point). The webhook is https, or plain http on localhost only.
 * - Business hours: ranges within a day may touch (["08:00","12:00"],["12:00","14:00"])
 *   but not overlap; at least one range must be open somewhere in the week.
 * - `retryBackoffMinutes[i]` is the wait after attempt i+1 fails. It needs at least one
 *   entry when `maxAttempts` > 1 and at most `maxAttempts - 1` (more could never be
 *   used); when it is shorter than `maxAttempts - 1` its last value repeats.
 * - `minNoticeMinutes` must leave room inside `maxAdvanceDays`.
 * - `holidays` are local dates in the provider's time zone, closed all day; repeats
 *   are harmless and allowed.
 */
import { isValidPhoneNumber, parsePhoneNumberFromString } from "libphonenumber-js";
import { DateTime } from "luxon";
import { z } from "zod";
import { isValidHHMM, isValidTimeZone, minutesOf, WEEKDAYS } from "../shared/weekly-hours.ts";
import { MAX_SHARDS } from "./confirmation.ts";
import { limitsSchema } from "./limits.ts";
import { displayName } from "../shared/text.ts";
import { carrierConfigSchema } from "../media-server/carrier-config.ts";
import { outboundUrl } from "../shared/urls.ts";
import { weightsSchema } from "./scheduling/weights.ts";
import type { Listing } from "../directory/search.ts";
import { type Channel, CHANNELS, siteIdSchema, skillName } from "../../federation/wire/vocabulary.ts";

/** Shared with the digest format (federation/wire/digest.ts): a site id is a short slug. */
const siteSlug = siteIdSchema;
const providerId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a provider id is a lower-case slug (letters, digits, '_' or '-'), at most 64");
const intentName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,47}$/, "an intent name is a lower-case slug starting with a letter, at most 48");

/** Only `+`, digits and the usual separators; no letters (vanity numbers) and no extension. */
const PHONE_CHARS = /^\+[0-9 ().-]+$/;

/**
 * A phone number in international form: it must start with `+` and be a valid
 * number for its country (libphonenumber-js). Spaces, dots, dashes and brackets are
 * forgiven and removed: the parsed value is the canonical E.164 form ("+15125550100").
 * Used for the providers' voice/sms endpoints and the callback request's `contact.phone`.
 */
export const e164 = z
  .string()
  .trim()
  .min(1, "a phone number is required")
  .max(32, "a phone number has at most 15 digits")
  .refine((s) => s.startsWith("+"), {
    message: "a phone number must be in international E.164 form, starting with + and the country code",
    abort: true,
  })
  .refine((s) => PHONE_CHARS.test(s) && isValidPhoneNumber(s), {
    message: "not a valid phone number (E.164, e.g. +15125550100)",
    abort: true,
  })
  .overwrite((s) => parsePhoneNumberFromString(s)?.number ?? s);

const email = z.email("not a valid email address").max(254);
const httpsUrl = z
  .url({ protocol: /^https$/, hostname: z.regexes.domain, error: "an https URL is required" })
  .max(2048);
/**
 * A web origin a provider's pages are served from (scheme, host and port, nothing more):
 * https, or plain http on loopback for a page run locally. Its pages may call the edge's
 * customer routes from there (CORS).
 */
const webOrigin = z
  .url({ protocol: /^https?$/, error: "an origin such as https://www.example.com is required" })
  .max(255)
  .refine((u) => {
    // Checks run on though the URL check failed: what is not a URL is simply not an origin here.
    if (!URL.canParse(u)) return false;
    const url = new URL(u);
    return url.origin === u.replace(/\/$/, "") && (url.protocol === "https:" || ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname));
  }, "an origin is scheme, host and port only (https; plain http only on localhost), e.g. https://www.example.com")
  .overwrite((u) => (URL.canParse(u) ? new URL(u).origin : u));


/** What an endpoint of each channel type must look like. */
const ENDPOINTS: Record<Channel, z.ZodType<string>> = {
  voice: e164,
  sms: e164,
  email,
  chat: httpsUrl,
  video: httpsUrl,
};

const channelSchema = z
  .strictObject({
    type: z.enum(CHANNELS, `a channel type is one of ${CHANNELS.join(", ")}`),
    endpoint: z.string().max(2048),
  })
  .superRefine((c, ctx) => {
    const parsed = ENDPOINTS[c.type].safeParse(c.endpoint);
    for (const issue of parsed.error?.issues ?? []) {
      ctx.addIssue({ code: "custom", message: `${c.type} endpoint: ${issue.message}`, path: ["endpoint"], input: c.endpoint });
    }
  })
  // Phone numbers are kept in canonical E.164 form.
  .overwrite((c) => ({ type: c.type, endpoint: ENDPOINTS[c.type].safeParse(c.endpoint).data ?? c.endpoint }));

const hoursRange = z.tuple([z.string(), z.string()]).superRefine(([start, end], ctx) => {
  const hhmm = 'a time is "HH:MM" (00:00 to 23:59, or "24:00" as an end)';
  if (!isValidHHMM(start)) ctx.addIssue({ code: "custom", message: hhmm, path: [0], input: start });
  else if (start === "24:00") ctx.addIssue({ code: "custom", message: '"24:00" may only end a range', path: [0], input: start });
  if (!isValidHHMM(end)) ctx.addIssue({ code: "custom", message: hhmm, path: [1], input: end });
  else if (isValidHHMM(start) && minutesOf(end) <= minutesOf(start)) {
    ctx.addIssue({ code: "custom", message: "a range must end after it starts", path: [1], input: end });
  }
});

const dayHours = z
  .array(hoursRange)
  .max(8, "at most 8 ranges a day")
  .superRefine((ranges, ctx) => {
    const ordered = ranges
      .map((range, index) => ({ range, index }))
      .filter(({ range: [s, e] }) => isValidHHMM(s) && isValidHHMM(e))
      .sort((a, b) => minutesOf(a.range[0]) - minutesOf(b.range[0]) || a.index - b.index);
    for (let i = 1; i < ordered.length; i++) {
      const prev = ordered[i - 1];
      const cur = ordered[i];
      if (minutesOf(cur.range[0]) < minutesOf(prev.range[1])) {
        ctx.addIssue({
          code: "custom",
          message: `overlaps ${prev.range[0]}–${prev.range[1]}: ranges within a day must not overlap`,
          path: [cur.index],
          input: cur.range,
        });
      }
    }
  });

const businessHours = z
  .partialRecord(z.enum(WEEKDAYS), dayHours)
  .refine((week) => Object.values(week).some((ranges) => (ranges?.length ?? 0) > 0), {
    message: "business hours are empty: callbacks could never be made",
  });

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const localDay = z
  .string()
  .regex(DATE, 'a date is "YYYY-MM-DD"')
  .refine((s) => !DATE.test(s) || DateTime.fromISO(s, { zone: "utc" }).isValid, "not a real calendar date");

const rulesSchema = z
  .strictObject({
    businessHours,
    holidays: z.array(localDay).max(400, "at most 400 holidays").default([]),
    minNoticeMinutes: z.number().int().min(0).max(30 * 1440, "at most 30 days (43200 minutes)"),
    maxAdvanceDays: z.number().int().min(1, "at least 1 day").max(90, "at most 90 days"),
    slotMinutes: z
      .number()
      .int()
      .min(5, "at least 5 minutes")
      .max(240, "at most 240 minutes")
      .refine((m) => 1440 % m === 0, "slots must divide the day evenly (1440 minutes), e.g. 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240"),
    maxAttempts: z.number().int().min(1, "at least 1 attempt").max(10, "at most 10 attempts"),
    retryBackoffMinutes: z.array(z.number().int().positive().max(7 * 1440, "at most a week (10080 minutes)")).max(9),
    allowedMedia: z
      .array(z.enum(CHANNELS, `a medium is one of ${CHANNELS.join(", ")}`))
      .min(1, "allow at least one medium")
      .refine(unique, "media repeat"),
  })
  .superRefine((r, ctx) => {
    // These run even when a field failed its own check: compare only fields that passed.
    const inRange = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
    const needed = r.maxAttempts - 1;
    if (inRange(r.maxAttempts, 1, 10) && r.retryBackoffMinutes.length > needed) {
      ctx.addIssue({
        code: "custom",
        message: `at most ${needed} entr${needed === 1 ? "y" : "ies"} (one wait after each attempt but the last, maxAttempts ${r.maxAttempts})`,
        path: ["retryBackoffMinutes"],
        input: r.retryBackoffMinutes,
      });
    } else if (inRange(r.maxAttempts, 2, 10) && r.retryBackoffMinutes.length === 0) {
      ctx.addIssue({
        code: "custom",
        message: "at least one wait is needed when maxAttempts > 1 (the last value repeats)",
        path: ["retryBackoffMinutes"],
        input: r.retryBackoffMinutes,
      });
    }
    if (inRange(r.maxAdvanceDays, 1, 90) && r.minNoticeMinutes >= r.maxAdvanceDays * 1440) {
      ctx.addIssue({
        code: "custom",
        message: `the minimum notice must be shorter than maxAdvanceDays (${r.maxAdvanceDays} days)`,
        path: ["minNoticeMinutes"],
        input: r.minNoticeMinutes,
      });
    }
  });

const intentSchema = z.strictObject({
  name: intentName,
  description: z.string().trim().min(1, "a description is required").max(500),
  skills: z
    .record(skillName, z.number().int().min(1, "a skill level is 1..5").max(5, "a skill level is 1..5"))
    .refine((s) => Object.keys(s).length >= 1, "an intent needs at least one skill")
    .refine((s) => Object.keys(s).length <= 16, "at most 16 skills"),
  priority: z.number().int().min(1, "priority is 1 (highest)..5").max(5, "priority is 1 (highest)..5"),
  examples: z
    .array(z.string().trim().min(1, "an example is not empty").max(500, "an example has at most 500 characters"))
    .min(1, "at least one example")
    .max(100, "at most 100 examples"),
});

const webhookSchema = z.strictObject({
  // The provider's telephony: https, or plain http on loopback for a media server adapter run locally.
  url: outboundUrl,
  secret: z.string().min(16, "a webhook secret has at least 16 characters").max(512),
});

const schedulingSchema = z.strictObject({
  weights: weightsSchema.optional(),
  /** Per site, 0 = cheapest .. 3; a site not listed is tier 0. */
  costTiers: z.record(siteSlug, z.number().int().min(0, "a cost tier is 0 (cheapest)..3").max(3, "a cost tier is 0 (cheapest)..3")).optional(),
});

/** The customer's confirmation and reminder (notice-plan.ts); absent: both, the reminder an hour ahead. */
const noticesSchema = z
  .strictObject({
    confirmation: z.boolean().default(true).meta({ description: "Send a confirmation once the callback is planned (default true)" }),
    reminderMinutes: z
      .number()
      .int()
      .min(0, "0 (no reminder) .. 1440 minutes")
      .max(1440, "0 (no reminder) .. 1440 minutes")
      .default(60)
      .meta({ description: "How long before the call the reminder goes; 0 sends none (default 60)" }),
  })
  .meta({ description: "Messages to the customer by SMS or email, as they chose: a confirmation and a reminder, each with a link to see, move or cancel the callback" });

/** What the directory shows of the provider (GET /v1/directory, the MCP tool find_provider). */
const directorySchema = z
  .strictObject({
    listed: z.boolean().default(true).meta({ description: "Whether search finds the provider at all (default true: a registration is public anyway)" }),
    description: z.string().trim().min(1, "a description is not empty").max(500).optional(),
    keywords: z.array(z.string().trim().min(1, "a keyword is not empty").max(40)).max(20, "at most 20 keywords").optional(),
  })
  .meta({ description: "How the directory lists the provider: its name and intents always, plus this description and these keywords" });

export const providerRegistration = z
  .strictObject({
    id: providerId,
    name: displayName(120),
    timezone: z.string().refine(isValidTimeZone, "not an IANA time zone (e.g. America/Chicago)"),
    sites: z.array(siteSlug).min(1, "at least one site serves the provider").max(64),
    channels: z.array(channelSchema).min(1, "at least one channel").max(CHANNELS.length),
    rules: rulesSchema,
    intents: z.array(intentSchema).min(1, "at least one intent").max(100, "at most 100 intents"),
    /** The provider's own telephony (media server adapter): dial requests are signed with `secret`. */
    webhook: webhookSchema.optional(),
    /** Or a carrier account the edge dials and texts through (objects/media-server/carrier-gateway.ts). */
    carrier: carrierConfigSchema.optional(),
    /** How the scheduler weighs candidates (see scheduling/weights.ts), and what each site costs. */
    scheduling: schedulingSchema.optional(),
    /** What anonymous intake may do (rates, callbacks per offer, where it dials): limits.ts; defaults when absent. */
    limits: limitsSchema.optional(),
    /** The languages the provider serves customers in, most used first: its widget speaks the first it also knows. */
    languages: z
      .array(z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, "a language tag such as en or pt-BR"))
      .min(1)
      .max(20)
      .optional()
      .meta({ description: "Languages the provider serves customers in, most used first (default [\"en\"]); its widget speaks the first it also knows." }),
    /** The customer's confirmation and reminder; absent: both, an hour ahead. */
    notices: noticesSchema.optional(),
    /** How search lists the provider; absent: listed, by its name and intents alone. */
    directory: directorySchema.optional(),
    /** Where the provider's own pages are (its widget's hosts): browsers there may call the customer routes (CORS). */
    allowedOrigins: z.array(webOrigin).max(20, "at most 20 origins").optional(),
    /** How many callback shards (objects) hold the provider's callbacks: more for more traffic; grows only. */
    shards: z
      .number()
      .int()
      .min(1, "at least 1 shard")
      .max(MAX_SHARDS, `at most ${MAX_SHARDS} shards`)
      .optional()
      .meta({ description: `How many objects hold the provider's callbacks (1..${MAX_SHARDS}); absent keeps the current count (1 at first). It can grow, not shrink.` }),
  })
  .superRefine((p, ctx) => {
    reportRepeats(p.sites, ["sites"], "site", ctx);
    if (p.webhook && p.carrier) {
      ctx.addIssue({ code: "custom", message: "one media server: a webhook to the provider's telephony or a carrier account, not both", path: ["carrier"] });
    }
    reportRepeats(
      p.channels.map((c) => c.type),
      ["channels"],
      "channel type (one channel per type)",
      ctx,
      "type",
    );
    reportRepeats(
      p.intents.map((i) => i.name),
      ["intents"],
      "intent name",
      ctx,
      "name",
    );
    for (const siteId of Object.keys(p.scheduling?.costTiers ?? {})) {
      if (!p.sites.includes(siteId)) {
        ctx.addIssue({
          code: "custom",
          message: `site "${siteId}" has a cost tier but does not serve the provider`,
          path: ["scheduling", "costTiers", siteId],
          input: siteId,
        });
      }
    }
    const have = new Set(p.channels.map((c) => c.type));
    p.rules.allowedMedia.forEach((medium, i) => {
      if (!have.has(medium)) {
        ctx.addIssue({
          code: "custom",
          message: `"${medium}" is allowed but the provider has no ${medium} channel`,
          path: ["rules", "allowedMedia", i],
          input: medium,
        });
      }
    });
  });

export type ProviderRegistration = z.infer<typeof providerRegistration>;
export type ProviderRules = ProviderRegistration["rules"];
export type ProviderChannel = ProviderRegistration["channels"][number];
export type ProviderIntent = ProviderRegistration["intents"][number];

/** A provider as `GET /v1/providers/:id` shows it: the webhook keeps its URL, never its secret. */
export const publicProviderSchema = z
  .strictObject({
    ...providerRegistration.shape,
    webhook: z.strictObject({ url: z.string() }).optional(),
    carrier: carrierConfigSchema.omit({ authToken: true, accountSid: true }).optional(),
  })
  .meta({ id: "Provider", description: "A provider's registration as anyone may see it: its webhook keeps its URL and its carrier its API and dialing, never a secret or an account." });
export type PublicProvider = z.infer<typeof publicProviderSchema>;

export function publicProvider(p: ProviderRegistration): PublicProvider {
  const { webhook, carrier, ...rest } = p;
  return {
    ...rest,
    ...(webhook ? { webhook: { url: webhook.url } } : {}),
    ...(carrier ? { carrier: { api: carrier.api, baseUrl: carrier.baseUrl, dialing: carrier.dialing, agentAddress: carrier.agentAddress } } : {}),
  };
}

/** What the directory's search finds the provider by; null when it is not listed. */
export function listingOf(p: ProviderRegistration): Listing | null {
  if (p.directory?.listed === false) return null;
  return {
    providerId: p.id,
    name: p.name,
    description: p.directory?.description ?? null,
    keywords: p.directory?.keywords ?? [],
    intents: p.intents.map((i) => ({ name: i.name, description: i.description, examples: i.examples })),
  };
}

function unique(values: readonly string[]): boolean {
  return new Set(values).size === values.length;
}

/** An issue on every repeat after the first (at `path.N` or `path.N.field`). */
function reportRepeats(
  values: readonly string[],
  path: (string | number)[],
  what: string,
  ctx: z.RefinementCtx,
  field?: string,
): void {
  const seen = new Set<string>();
  values.forEach((value, i) => {
    if (seen.has(value)) {
      ctx.addIssue({
        code: "custom",
        message: `${what} "${value}" repeats`,
        path: field ? [...path, i, field] : [...path, i],
        input: value,
      });
    }
    seen.add(value);
  });
}
