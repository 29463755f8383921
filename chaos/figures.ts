/**
 * The soak's figures from its ledger (pure): how late each call left against the time it
 * was planned for, how many callbacks were moved or ended with a reason, and what the
 * invariants found, counted by kind.
 */
import type { Ledger, LedgerCallback, Violation } from "./invariants.ts";

export interface SoakFigures {
  accepted: number;
  /** First attempts dialed, and how late against the time planned when they were dialed (ms). */
  fired: number;
  latenessP50Ms: number | null;
  latenessP99Ms: number | null;
  /** Re-planned (a site went down, an agent could not be confirmed) or ended without a call, each with its reason. */
  movedWithReason: number;
  endedWithReason: number;
  /** Still waiting inside their windows when the soak ended. */
  waiting: number;
  lost: number;
  dialedTwice: number;
  otherViolations: number;
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** How late the first dial left against the last plan made before it; null when it was never dialed. */
export function latenessOf(cb: LedgerCallback): number | null {
  const dialing = cb.history.findIndex((e) => e.type === "dialing");
  if (dialing < 0) return null;
  const plans = cb.history.slice(0, dialing).filter((e) => e.type === "scheduled" && typeof e.detail.at === "string");
  const planned = plans.at(-1);
  return planned ? cb.history[dialing]!.atMs - Date.parse(planned.detail.at as string) : null;
}

export function soakFigures(ledger: Ledger, broken: readonly Violation[]): SoakFigures {
  const accepted = new Set(ledger.accepted);
  const ours = ledger.callbacks.filter((c) => accepted.has(c.confirmation));
  const lateness = ours.map(latenessOf).filter((l): l is number => l !== null).sort((a, b) => a - b);
  return {
    accepted: accepted.size,
    fired: lateness.length,
    latenessP50Ms: percentile(lateness, 50),
    latenessP99Ms: percentile(lateness, 99),
    movedWithReason: ours.filter((c) => c.history.some((e) => e.type === "replanned")).length,
    endedWithReason: ours.filter((c) => ["failed", "expired", "cancelled"].includes(c.status)).length,
    waiting: ours.filter((c) => ["pending", "scheduled", "retrying"].includes(c.status)).length,
    lost: broken.filter((v) => v.kind === "lost" || v.kind === "stuck").length,
    dialedTwice: broken.filter((v) => v.kind === "dialed_twice" || v.kind === "answered_twice").length,
    otherViolations: broken.filter((v) => !["lost", "stuck", "dialed_twice", "answered_twice"].includes(v.kind)).length,
  };
}
