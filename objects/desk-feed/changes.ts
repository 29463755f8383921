/**
 * What an agent's desk is told when one of its callbacks changes: which one, what
 * happened, and its status now. The desk reads the callback itself (as the agent), so
 * a notice carries nothing a listener could not already see.
 */
import type { CallbackStatus } from "../../federation/wire/vocabulary.ts";

export interface DeskChange {
  confirmation: string;
  /** The event's type (scheduled, replanned, dialing, completed…), or `moved` when the callback left this agent. */
  type: string;
  status: CallbackStatus;
  /** Epoch ms of the change. */
  atMs: number;
}

/** The desk feed object of an agent: its site and its ref, as the cloud knows it. */
export const deskName = (siteId: string, agentRef: string) => `${siteId}:${agentRef}`;

/** The one WebSocket subprotocol the desk speaks; the other names the token (browsers cannot set a header on a WebSocket). */
export const DESK_PROTOCOL = "callback-desk.v1";
export const BEARER_PROTOCOL_PREFIX = "bearer.";

/** The token a desk passes among its subprotocols, if any (a JWT's characters are all legal in a subprotocol). */
export function tokenFromProtocols(header: string | null): string | null {
  const offered = (header ?? "").split(",").map((p) => p.trim());
  if (!offered.includes(DESK_PROTOCOL)) return null;
  const bearer = offered.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  return bearer ? bearer.slice(BEARER_PROTOCOL_PREFIX.length) || null : null;
}
