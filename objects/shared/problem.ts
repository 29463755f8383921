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

/**
 * A broken invariant inside an object: the state says something that must not be
 * (a callback vanished inside its own request, an illegal move). `context` is what a
 * person needs to find it in the logs; it is never sent to the caller.
 */
export class InvariantError extends Error {
  override readonly name = "InvariantError";
  constructor(
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * Runs an object's RPC method: a Result passes through; anything thrown (a broken
 * invariant, a bug) is logged with where it happened and its context, and answered as
 * a 500 in the error shape, never as a bare throw across RPC (which would carry the
 * message, and lose the context).
 */
export async function guarded<T>(where: string, run: () => Result<T> | Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await run();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    console.error(
      JSON.stringify({ level: "error", at: where, error: e.name, message: e.message, ...(err instanceof InvariantError ? { context: err.context } : {}) }),
    );
    return fail(500, "internal", "something went wrong on our side");
  }
}
