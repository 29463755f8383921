/**
 * The agent state machine (DESIGN.md, vocabulary) as one explicit table.
 * Reporting the state an agent is already in is a plain re-report and always legal.
 */
import type { AgentState, ReportableState } from "../../federation/wire/vocabulary.ts";

export const TRANSITIONS: Readonly<Record<AgentState, readonly ReportableState[]>> = {
  offline: ["available", "on_call"],
  available: ["busy", "break", "on_call", "offline"],
  busy: ["wrap_up", "available"],
  wrap_up: ["available", "break", "on_call", "offline"],
  break: ["available", "on_call", "offline"],
  // Logged off but still taking scheduled callbacks: a scheduled call makes it busy.
  on_call: ["available", "busy", "offline"],
  // Left by the next status report, whatever it says.
  unreachable: ["offline", "available", "busy", "wrap_up", "break", "on_call"],
};

/** States in which a resource sends heartbeats, so the monitor may time it out. */
export const MONITORED_STATES: readonly AgentState[] = ["available", "busy", "wrap_up", "break"];

export type TransitionCheck = { legal: true } | { legal: false; allowed: readonly ReportableState[] };

export function checkTransition(from: AgentState, to: ReportableState): TransitionCheck {
  if (from === to) return { legal: true };
  const allowed = TRANSITIONS[from];
  return allowed.includes(to) ? { legal: true } : { legal: false, allowed };
}

export const isMonitored = (state: AgentState): boolean => MONITORED_STATES.includes(state);
