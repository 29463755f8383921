/**
 * Text a person reads back somewhere else (an agent's name on a desk, a provider's name
 * on a widget): no control characters (newlines included), no bidirectional overrides
 * or isolates that would make it read differently from what it is, and well-formed
 * UTF-16 (a lone surrogate breaks JSON consumers and databases downstream).
 */
import { z } from "zod";

// C0 and C1 controls and DEL; the bidi embeddings, overrides and isolates (LRE..RLO, LRI..PDI) and marks (LRM, RLM, ALM).
const UNSAFE = /[\p{Cc}\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u;
// A high surrogate not followed by a low one, or a low one not preceded by a high one (no `u` flag: code units).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isDisplaySafe(text: string): boolean {
  return !LONE_SURROGATE.test(text) && !UNSAFE.test(text);
}

/** A name: trimmed, 1..max characters, display-safe. */
export const displayName = (max: number) =>
  z
    .string()
    .trim()
    .min(1, "a name is required")
    .max(max, `at most ${max} characters`)
    .refine(isDisplaySafe, "no control characters, direction overrides or broken characters in a name");
