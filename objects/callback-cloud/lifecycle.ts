/**
 * A callback's life as pure decisions: which status changes are legal, and what
 * happens after an attempt's outcome (retry with the provider's backoff, fall back
 * to another medium, give up).
 */
import type { AttemptOutcome, CallbackStatus, Channel } from "../../federation/wire/vocabulary.ts";

export const CALLBACK_TRANSITIONS: Readonly<Record<CallbackStatus, readonly CallbackStatus[]>> = {
  pending: ["scheduled", "answered", "cancelled", "expired", "failed"],
  // Back to pending when the agent or its site is lost and nobody else fits yet.
  scheduled: ["scheduled", "dialing", "pending", "answered", "cancelled", "expired"],
  dialing: ["connected", "completed", "retrying", "failed", "cancelled"],
  connected: ["completed", "retrying", "failed"],
  retrying: ["dialing", "pending", "scheduled", "answered", "cancelled", "expired", "failed"],
  completed: [],
  answered: [],
  failed: [],
  cancelled: [],
  expired: [],
};

export const isFinal = (s: CallbackStatus): boolean => CALLBACK_TRANSITIONS[s].length === 0;
export const canMove = (from: CallbackStatus, to: CallbackStatus): boolean => CALLBACK_TRANSITIONS[from].includes(to);

/** Text channels are done once delivered; calls connect and an agent completes them. */
export const isTextChannel = (c: Channel): boolean => c === "sms" || c === "email" || c === "chat";

export interface AttemptSoFar {
  channel: Channel;
  outcome: AttemptOutcome | null;
}

export type NextStep =
  | { kind: "connected" }
  | { kind: "delivered" }
  | { kind: "retry"; channel: Channel; atMs: number }
  | { kind: "fallback"; channel: Channel; atMs: number }
  | { kind: "give_up"; reason: string };

export interface OutcomeContext {
  outcome: AttemptOutcome;
  channel: Channel;
  /** Every attempt so far, this one included. */
  attempts: readonly AttemptSoFar[];
  /** The media the customer accepts, in their order, already limited to what the provider allows. */
  media: readonly Channel[];
  maxAttempts: number;
  /** When attempt N on a channel may be followed by N+1, or null when the rules allow no more. */
  retryAt: (attemptOnChannel: number, failedAtMs: number) => number | null;
  nowMs: number;
  windowEndMs: number;
}

/**
 * After an outcome: connected or delivered on success; otherwise another try on the
 * same channel while attempts and the window allow; then the next medium the
 * customer accepts (a failing voice callback becomes a text); then give up.
 */
export function nextAfterOutcome(ctx: OutcomeContext): NextStep {
  if (ctx.outcome === "answered") return isTextChannel(ctx.channel) ? { kind: "delivered" } : { kind: "connected" };
  const onChannel = ctx.attempts.filter((a) => a.channel === ctx.channel).length;
  if (onChannel < ctx.maxAttempts) {
    const at = ctx.retryAt(onChannel, ctx.nowMs);
    if (at !== null && at < ctx.windowEndMs) return { kind: "retry", channel: ctx.channel, atMs: at };
  }
  const tried = new Set(ctx.attempts.map((a) => a.channel));
  const fallback = ctx.media.find((m) => !tried.has(m) && isTextChannel(m)) ?? ctx.media.find((m) => !tried.has(m));
  if (fallback) return { kind: "fallback", channel: fallback, atMs: ctx.nowMs };
  return { kind: "give_up", reason: `no answer after ${ctx.attempts.length} attempts on ${[...tried].join(", ")}` };
}
