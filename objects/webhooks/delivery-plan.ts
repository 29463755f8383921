/**
 * The webhook deliveries' decisions, pure: when a failed delivery is tried again, when it
 * is given up, and which deliveries go out now. Order holds per callback and subscription:
 * a callback's later event waits until its earlier one is delivered or given up, so a
 * receiver never hears `completed` before `connected`; deliveries of other callbacks do not
 * wait for each other.
 */

/** Waits after the 1st, 2nd, … failed attempt; past the last, the delivery is given up (failed). */
export const RETRY_DELAYS_MS = [5_000, 30_000, 2 * 60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000, 60 * 60_000, 2 * 60 * 60_000] as const;
/** Attempts in all: the first, then one per delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** After `attempts` failed attempts (the latest at `failedAtMs`): when to try again, or null to give up. */
export function retryAt(attempts: number, failedAtMs: number): number | null {
  const delay = RETRY_DELAYS_MS[attempts - 1];
  return delay === undefined ? null : failedAtMs + delay;
}

export interface PendingDelivery {
  messageId: string;
  subscriptionId: string;
  callbackId: string;
  /** The event's place in its callback's history: earlier goes first. */
  seq: number;
  nextAtMs: number;
}

/**
 * The deliveries to send at `nowMs`, at most `limit`: of each callback and subscription, the
 * earliest pending one only, and only once it is due. `pending` holds every pending delivery
 * (delivered and failed ones are not pending).
 */
export function dueNow(pending: readonly PendingDelivery[], nowMs: number, limit: number): PendingDelivery[] {
  const head = new Map<string, PendingDelivery>();
  for (const d of pending) {
    const key = `${d.subscriptionId}\n${d.callbackId}`;
    const first = head.get(key);
    if (!first || d.seq < first.seq) head.set(key, d);
  }
  return [...head.values()]
    .filter((d) => d.nextAtMs <= nowMs)
    .sort((a, b) => a.nextAtMs - b.nextAtMs || a.seq - b.seq)
    .slice(0, limit);
}

/** When the earliest pending head falls due (the alarm's time), or null with nothing pending. */
export function nextDueAt(pending: readonly PendingDelivery[]): number | null {
  const heads = dueNow(pending, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
  return heads.length === 0 ? null : Math.min(...heads.map((d) => d.nextAtMs));
}
