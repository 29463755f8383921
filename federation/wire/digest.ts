/**
 * The availability digest a site gossips to the mesh. Shared by Workers and peers,
 * validated on every receipt, bounded in size. It carries opaque refs and
 * capabilities only: never names, never internal resources, never customer data.
 */
import { z } from "zod";
import { AGENT_STATES, CHANNELS, siteIdSchema, skillName } from "./vocabulary.ts";

export const DIGEST_VERSION = 1;
/** Bigger digests are refused outright: a gossip message must stay small. Sized so a digest of MAX_DIGEST_AGENTS fully skilled agents fits. */
export const MAX_DIGEST_BYTES = 512 * 1024;
export const MAX_DIGEST_AGENTS = 1000;
/** Free intervals per agent a digest carries, and how far ahead they look. */
export const MAX_FREE_INTERVALS = 8;
export const FREE_HORIZON_MS = 86_400_000;

const slug = siteIdSchema;
const skill = skillName;
const states = AGENT_STATES;
const channels = CHANNELS;

export const digestAgent = z.strictObject({
  ref: z.string().regex(/^r_[0-9a-f]{20}$/),
  skills: z.record(skill, z.number().int().min(1).max(5)),
  channels: z.array(z.enum(channels)).max(channels.length),
  languages: z.array(z.string().max(16)).max(16),
  state: z.enum(states),
  expectedAvailableAtMs: z.number().int().nullable(),
  capacity: z.number().int().min(1).max(20),
  freeCapacity: z.number().int().min(0).max(20),
  /**
   * When over the next day the agent can take more callbacks: [startMs, endMs, units?],
   * earliest first; a null end: free from then on with no end foreseen (no shift); units
   * (how many more callbacks at once) is 1 when left out.
   */
  free: z
    .array(z.tuple([z.number().int(), z.number().int().nullable()], z.number().int().min(2).max(20)).refine((t) => t.length <= 3, "[startMs, endMs, units?]"))
    .max(MAX_FREE_INTERVALS)
    .optional(),
});
export type DigestAgent = z.infer<typeof digestAgent>;

export const skillSummary = z.strictObject({
  agents: z.number().int().min(0),
  available: z.number().int().min(0),
  freeCapacity: z.number().int().min(0),
  maxLevel: z.number().int().min(0).max(5),
  earliestAvailableAtMs: z.number().int().nullable(),
});

export const digestSchema = z.strictObject({
  version: z.literal(DIGEST_VERSION),
  siteId: slug,
  seq: z.number().int().min(0),
  issuedAtMs: z.number().int().min(0),
  ttlMs: z.number().int().min(1000).max(600_000),
  agents: z.array(digestAgent).max(MAX_DIGEST_AGENTS),
  skills: z.record(skill, skillSummary),
});
export type Digest = z.infer<typeof digestSchema>;

export type DigestCheck = { ok: true; digest: Digest } | { ok: false; reason: string; issues?: unknown };

/** Parses a digest as received from the wire: size first, then shape. */
export function parseDigest(raw: string | Uint8Array): DigestCheck {
  const bytes = typeof raw === "string" ? new TextEncoder().encode(raw).byteLength : raw.byteLength;
  if (bytes > MAX_DIGEST_BYTES) return { ok: false, reason: "oversized" };
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw));
  } catch {
    return { ok: false, reason: "not_json" };
  }
  const parsed = digestSchema.safeParse(value);
  return parsed.success ? { ok: true, digest: parsed.data } : { ok: false, reason: "malformed", issues: parsed.error.issues };
}
