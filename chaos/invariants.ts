/**
 * The promise a callback service makes, checked over what the mesh says of itself: every
 * accepted callback is called once, on time, or the customer is told why. Pure: the
 * ledger (ledger.ts) is read from the running mesh, and the verdict is decided here.
 */
import type { CallbackStatus } from "../federation/wire/vocabulary.ts";

export type { CallbackStatus };

/** A callback as ops read it from the federated schema (lower-case status). */
export interface LedgerCallback {
  confirmation: string;
  status: CallbackStatus;
  windowEndMs: number;
  channel: string;
  agentRef: { id: string; siteId: string } | null;
  reservationId: string | null;
  attempts: { n: number; channel: string; outcome: string | null }[];
  /** When it last changed. */
  updatedAtMs: number;
  /** Its newest changes, oldest first (the soak's figures read them; the invariants do not). */
  history: { atMs: number; type: string; detail: Record<string, unknown> }[];
}

/** One idempotency key the media server was asked to dial (GET /v1/media/dials). */
export interface LedgerDial {
  idempotencyKey: string;
  confirmation: string;
  attempt: number;
  outcome: string;
  dialedAt: string | null;
}

/** A reservation a site holds, as its subgraph lists it. */
export interface LedgerReservation {
  id: string;
  siteId: string;
  agentId: string;
  channel: string;
  startMs: number;
  endMs: number;
  status: "held" | "claimed";
}

export interface Ledger {
  /** When it was read (the mesh's time). */
  atMs: number;
  /** Confirmations the traffic was given (201): each one is owed a call or a reason. */
  accepted: readonly string[];
  callbacks: readonly LedgerCallback[];
  dials: readonly LedgerDial[];
  /** Held (not yet expired) and claimed reservations of every site that answered. */
  reservations: readonly LedgerReservation[];
}

export type ViolationKind = "lost" | "stuck" | "dialed_twice" | "answered_twice" | "hold_orphaned" | "hold_missing" | "hold_shared" | "agent_double_booked";

export interface Violation {
  kind: ViolationKind;
  /** A confirmation, or a reservation id for an orphaned hold. */
  subject: string;
  detail: string;
}

/** Where a callback's life ends, or its call has happened. */
const SETTLED: readonly CallbackStatus[] = ["connected", "completed", "answered", "failed", "cancelled", "expired"];
/** Waiting for its time: fine while its window is open. */
const WAITING: readonly CallbackStatus[] = ["pending", "scheduled", "retrying"];
const TEXT_CHANNELS = ["sms", "email", "chat"];

export interface InvariantOptions {
  /** A call in progress (dialing) longer than this is stuck. */
  dialingMs: number;
  /** A waiting callback whose window ended longer ago than this should have been moved, expired or failed. */
  overdueMs: number;
}

export const DEFAULT_INVARIANTS: InvariantOptions = { dialingMs: 120_000, overdueMs: 120_000 };

export function violations(ledger: Ledger, options: InvariantOptions = DEFAULT_INVARIANTS): Violation[] {
  const out: Violation[] = [];
  const byConfirmation = new Map(ledger.callbacks.map((c) => [c.confirmation, c]));

  for (const confirmation of ledger.accepted) {
    const cb = byConfirmation.get(confirmation);
    if (!cb) {
      out.push({ kind: "lost", subject: confirmation, detail: "accepted, and the cloud does not know it" });
      continue;
    }
    if (WAITING.includes(cb.status) && ledger.atMs - cb.windowEndMs > options.overdueMs) {
      out.push({ kind: "stuck", subject: confirmation, detail: `${cb.status} ${Math.round((ledger.atMs - cb.windowEndMs) / 1000)} s after its window ended` });
    }
    if (cb.status === "dialing" && ledger.atMs - cb.updatedAtMs > options.dialingMs) {
      out.push({ kind: "stuck", subject: confirmation, detail: `dialing for ${Math.round((ledger.atMs - cb.updatedAtMs) / 1000)} s` });
    }
  }

  // The media server dials a key once; two keys for one attempt, or two answered calls, is the customer called twice.
  const dialed = new Map<string, LedgerDial[]>();
  for (const d of ledger.dials) {
    if (d.dialedAt === null) continue;
    const list = dialed.get(d.confirmation) ?? [];
    list.push(d);
    dialed.set(d.confirmation, list);
  }
  for (const [confirmation, list] of dialed) {
    const perAttempt = new Map<number, number>();
    for (const d of list) perAttempt.set(d.attempt, (perAttempt.get(d.attempt) ?? 0) + 1);
    for (const [attempt, n] of perAttempt) {
      if (n > 1) out.push({ kind: "dialed_twice", subject: confirmation, detail: `attempt ${attempt} dialed under ${n} keys` });
    }
    const answered = list.filter((d) => d.outcome === "answered");
    if (answered.length > 1) out.push({ kind: "answered_twice", subject: confirmation, detail: `answered on attempts ${answered.map((d) => d.attempt).join(", ")}` });
  }

  // Holds: each active one backs exactly one callback, and each callback waiting for an agent has its own.
  const holders = new Map<string, LedgerCallback[]>();
  for (const cb of ledger.callbacks) {
    if (!cb.reservationId) continue;
    holders.set(cb.reservationId, [...(holders.get(cb.reservationId) ?? []), cb]);
  }
  const active = new Map(ledger.reservations.map((r) => [r.id, r]));
  const sitesRead = new Set(ledger.reservations.map((r) => r.siteId));
  for (const r of ledger.reservations) {
    const by = (holders.get(r.id) ?? []).filter((cb) => !SETTLED.includes(cb.status) || cb.status === "connected");
    if (r.status === "held" && by.length === 0) {
      out.push({ kind: "hold_orphaned", subject: r.id, detail: `held at ${r.siteId} for agent ${r.agentId} by no live callback` });
    }
  }
  for (const [id, cbs] of holders) {
    const live = cbs.filter((cb) => !SETTLED.includes(cb.status));
    if (live.length > 1) out.push({ kind: "hold_shared", subject: id, detail: `held by ${live.map((c) => c.confirmation).join(" and ")}` });
  }
  for (const cb of ledger.callbacks) {
    if (cb.status !== "scheduled" || TEXT_CHANNELS.includes(cb.channel) || !cb.agentRef) continue;
    // A site that did not answer cannot be judged from here.
    if (!sitesRead.has(cb.agentRef.siteId)) continue;
    if (!cb.reservationId || !active.has(cb.reservationId)) {
      out.push({ kind: "hold_missing", subject: cb.confirmation, detail: `scheduled with ${cb.agentRef.siteId} and no active hold there` });
    }
  }

  // A voice agent takes one call at a time: two overlapping active holds on one agent is a double booking.
  const byAgent = new Map<string, LedgerReservation[]>();
  for (const r of ledger.reservations) {
    if (r.channel !== "voice") continue;
    const key = `${r.siteId}/${r.agentId}`;
    byAgent.set(key, [...(byAgent.get(key) ?? []), r]);
  }
  for (const [agent, list] of byAgent) {
    const sorted = [...list].sort((a, b) => a.startMs - b.startMs);
    for (let i = 1; i < sorted.length; i++) {
      const [a, b] = [sorted[i - 1]!, sorted[i]!];
      if (b.startMs < a.endMs) out.push({ kind: "agent_double_booked", subject: agent, detail: `${a.id} and ${b.id} overlap` });
    }
  }
  return out;
}
