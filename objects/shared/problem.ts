/**
 * The one error vocabulary of the mesh. Durable Object RPC cannot carry custom
 * error classes, so objects return a Result and the Worker edge turns a failed
 * one into the API.md error shape.
 */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503;

export interface Problem {
  status: ProblemStatus;
  code: string;
  message: string;
  details?: unknown;
}

export type Result<T> = { ok: true; value: T } | { ok: false; problem: Problem };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const fail = (
  status: ProblemStatus,
  code: string,
  message: string,
  details?: unknown,
): { ok: false; problem: Problem } => ({ ok: false, problem: { status, code, message, details } });
