import { describe, expect, it } from "vitest";
import { violations, type Ledger, type LedgerCallback, type LedgerDial, type LedgerReservation } from "../../chaos/invariants.ts";

const AT = Date.parse("2027-01-06T16:00:00Z");
const cb = (confirmation: string, over: Partial<LedgerCallback> = {}): LedgerCallback => ({
  confirmation,
  status: "scheduled",
  windowEndMs: AT + 3_600_000,
  channel: "voice",
  agentRef: { id: "r_1", siteId: "austin" },
  reservationId: `rsv_${confirmation}`,
  attempts: [],
  updatedAtMs: AT,
  history: [],
  ...over,
});
const hold = (id: string, over: Partial<LedgerReservation> = {}): LedgerReservation => ({
  id,
  siteId: "austin",
  agentId: "r_1",
  channel: "voice",
  startMs: AT + 600_000,
  endMs: AT + 1_500_000,
  status: "held",
  ...over,
});
const dial = (confirmation: string, attempt: number, key: string, outcome = "answered"): LedgerDial => ({
  idempotencyKey: key,
  confirmation,
  attempt,
  outcome,
  dialedAt: new Date(AT).toISOString(),
});
const ledger = (over: Partial<Ledger>): Ledger => ({ atMs: AT, accepted: [], callbacks: [], dials: [], reservations: [], ...over });
const kinds = (l: Ledger) => violations(l).map((v) => `${v.kind}:${v.subject}`);

describe("the chaos invariants", () => {
  it("pass a mesh that kept its promises: one hold each, one key per attempt, one answer", () => {
    const l = ledger({
      accepted: ["A", "B", "C"],
      callbacks: [cb("A"), cb("B", { agentRef: { id: "r_2", siteId: "austin" } }), cb("C", { status: "connected", reservationId: "rsv_C" })],
      reservations: [hold("rsv_A"), hold("rsv_B", { agentId: "r_2" }), hold("rsv_C", { agentId: "r_3", status: "claimed" })],
      dials: [dial("C", 1, "c:1", "busy"), dial("C", 2, "c:2")],
    });
    expect(violations(l)).toEqual([]);
  });

  it("name a callback accepted and unknown, one overdue, and one dialing for too long", () => {
    const l = ledger({
      accepted: ["A", "B", "C"],
      callbacks: [
        cb("B", { status: "retrying", windowEndMs: AT - 300_000, reservationId: null, agentRef: null }),
        cb("C", { status: "dialing", updatedAtMs: AT - 600_000, reservationId: null, agentRef: null }),
      ],
    });
    expect(kinds(l)).toEqual(["lost:A", "stuck:B", "stuck:C"]);
  });

  it("count a customer called twice: two keys for one attempt, or answered twice", () => {
    const l = ledger({ dials: [dial("A", 1, "a:1"), dial("A", 1, "a:1-again", "busy"), dial("B", 1, "b:1"), dial("B", 2, "b:2")] });
    expect(kinds(l)).toEqual(["dialed_twice:A", "answered_twice:B"]);
  });

  it("count a key asked again but never dialed as nothing", () => {
    expect(violations(ledger({ dials: [{ ...dial("A", 1, "a:1"), dialedAt: null }, dial("A", 1, "a:1")] }))).toEqual([]);
  });

  it("find a hold left behind, a hold missing, a hold shared, and an agent booked twice", () => {
    const l = ledger({
      callbacks: [
        cb("A", { reservationId: "rsv_shared" }),
        cb("B", { reservationId: "rsv_shared", agentRef: { id: "r_2", siteId: "austin" } }),
        cb("C", { reservationId: null, agentRef: { id: "r_3", siteId: "austin" } }),
        cb("D", { status: "cancelled", reservationId: "rsv_D", agentRef: { id: "r_4", siteId: "austin" } }),
      ],
      reservations: [hold("rsv_shared"), hold("rsv_D", { agentId: "r_4" }), hold("rsv_E", { agentId: "r_4", startMs: AT + 900_000, endMs: AT + 1_800_000 })],
    });
    expect(kinds(l).sort()).toEqual(
      ["hold_orphaned:rsv_D", "hold_orphaned:rsv_E", "hold_shared:rsv_shared", "hold_missing:C", "agent_double_booked:austin/r_4"].sort(),
    );
  });

  it("judge no hold at a site that did not answer", () => {
    // Austin's reservations were not read: its callbacks' holds cannot be judged missing.
    const l = ledger({ callbacks: [cb("A")], reservations: [hold("rsv_X", { siteId: "paris" }), ] });
    expect(kinds(l)).toEqual(["hold_orphaned:rsv_X"]);
  });
});
