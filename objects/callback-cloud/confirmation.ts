/**
 * Confirmation numbers and verifiers. A confirmation is read over the phone, so it
 * uses Crockford's base32 (no I, L, O, U) and reads back forgivingly; its first three
 * characters (15 bits) say where it lives: the provider's ordinal (low 11 bits) and
 * the callback shard that holds it (high 4 bits), so the edge finds the object with
 * no lookup table per callback. The verifier is the customer's secret; only its hash
 * is kept.
 */
import { sha256Hex } from "../shared/key-hash.ts";
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const PLACE_CHARS = 3;
const ORDINAL_BITS = 11;
const RANDOM_CHARS = 9; // 45 bits; guessing also needs the verifier for anything but "not found"
export const MAX_ORDINAL = 2 ** ORDINAL_BITS - 1;
/** The most callback shards one provider can have (the shard bits of a confirmation). */
export const MAX_SHARDS = 2 ** (PLACE_CHARS * 5 - ORDINAL_BITS);

function encode(value: number, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

/** `ordinal` names the provider, `shard` its object that holds the callback; the rest is random. Shown as XXXX-XXXX-XXXX. */
export function newConfirmation(ordinal: number, shard = 0): string {
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal > MAX_ORDINAL) throw new RangeError("ordinal out of range");
  if (!Number.isInteger(shard) || shard < 0 || shard >= MAX_SHARDS) throw new RangeError("shard out of range");
  const random = crypto.getRandomValues(new Uint8Array(RANDOM_CHARS));
  const body = encode(shard * 2 ** ORDINAL_BITS + ordinal, PLACE_CHARS) + Array.from(random, (b) => ALPHABET[b & 31]).join("");
  return `${body.slice(0, 4)}-${body.slice(4, 8)}-${body.slice(8)}`;
}

/** What a customer typed, read as a confirmation: case, dashes, spaces and look-alikes forgiven. */
export function normalizeConfirmation(input: string): string | null {
  const cleaned = input
    .toUpperCase()
    .replace(/[\s-]/g, "")
    .replace(/[IL]/g, "1")
    .replace(/O/g, "0");
  if (cleaned.length !== PLACE_CHARS + RANDOM_CHARS || [...cleaned].some((c) => !ALPHABET.includes(c))) return null;
  return `${cleaned.slice(0, 4)}-${cleaned.slice(4, 8)}-${cleaned.slice(8)}`;
}

/** Where a (normalized) confirmation lives: its provider's ordinal and the shard that holds it. */
export function placeOf(confirmation: string): { ordinal: number; shard: number } {
  let value = 0;
  for (const c of confirmation.replace(/-/g, "").slice(0, PLACE_CHARS)) value = value * 32 + ALPHABET.indexOf(c);
  return { ordinal: value % 2 ** ORDINAL_BITS, shard: Math.floor(value / 2 ** ORDINAL_BITS) };
}

/**
 * The customer's verifier for a confirmation: an HMAC under the edge's secret, so a
 * client that lost the first answer and retries with its Idempotency-Key gets the
 * same verifier back, while the object stores only its hash.
 */
export async function deriveVerifier(secret: string, confirmation: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`verifier:${confirmation}`)));
  return btoa(String.fromCharCode(...mac.slice(0, 16))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** What a shard stores of a verifier: its SHA-256, in hex. */
export const hashVerifier = (verifier: string): Promise<string> => sha256Hex(verifier);
