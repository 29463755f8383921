/**
 * Watches the mesh's Workers as an operator's process manager would: each one's
 * /healthz is asked on an interval, with a short timeout. Wrangler restarts a
 * runtime that crashes, but one that hangs (it accepts connections and never
 * answers) would hold every caller until its timeout, for as long as it hangs. A
 * Worker that fails its check several times in a row is torn down (its workerd
 * killed) and started again on the same state; one that cannot be started again
 * within its restarts is reported dead, and left down rather than half up.
 */

export type WorkerHealth = "running" | "restarting" | "dead" | "stopped";

export interface WorkerStatus {
  id: string;
  health: WorkerHealth;
  /** Restarts by the supervisor since the mesh started. */
  restarts: number;
  /** Checks failed in a row, now. */
  failures: number;
  /** The last failure, as said to the log. */
  lastProblem: string | null;
}

export interface SupervisorOptions {
  /** Between checks of one Worker. */
  intervalMs: number;
  /** A check that takes longer failed. */
  timeoutMs: number;
  /** Failed checks in a row before a restart. */
  failuresBeforeRestart: number;
  /** Restarts after which a Worker that fails again is reported dead. */
  maxRestarts: number;
}

export const DEFAULT_SUPERVISOR: SupervisorOptions = { intervalMs: 2_000, timeoutMs: 2_000, failuresBeforeRestart: 3, maxRestarts: 5 };

export interface Supervised {
  id: string;
  url: string;
  /** Tears the Worker down (its runtime is killed) and starts it again, resolving once it answers /healthz. */
  restart(): Promise<void>;
}

export interface Supervisor {
  status(): WorkerStatus[];
  /** A Worker stopped on purpose (stopSite): not checked, not restarted. */
  stopped(id: string): void;
  /** A Worker stopped on purpose is running again: checked from now on. */
  resumed(id: string): void;
  /** Ends every check; a restart under way finishes. */
  stop(): void;
}

export function supervise(
  workers: readonly Supervised[],
  log: (workerId: string, level: string, message: string) => void,
  options: SupervisorOptions = DEFAULT_SUPERVISOR,
): Supervisor {
  const states = new Map<string, WorkerStatus>(
    workers.map((w) => [w.id, { id: w.id, health: "running", restarts: 0, failures: 0, lastProblem: null }]),
  );
  let ended = false;
  const timers = new Set<NodeJS.Timeout>();

  const check = async (worker: Supervised): Promise<void> => {
    const state = states.get(worker.id) as WorkerStatus;
    if (ended || state.health !== "running") return;
    const problem = await healthProblem(worker.url, options.timeoutMs);
    if (ended || state.health !== "running") return;
    if (problem === null) {
      state.failures = 0;
      return;
    }
    state.failures += 1;
    state.lastProblem = problem;
    if (state.failures < options.failuresBeforeRestart) return;
    if (state.restarts >= options.maxRestarts) {
      state.health = "dead";
      log(worker.id, "error", `${worker.id} is dead: ${problem}, ${state.failures} checks in a row, after ${state.restarts} restarts; left down`);
      return;
    }
    state.health = "restarting";
    state.restarts += 1;
    log(worker.id, "warn", `${worker.id} does not answer (${problem}, ${state.failures} checks in a row): restarting it (#${state.restarts})`);
    try {
      await worker.restart();
      state.failures = 0;
      if (state.health === "restarting") state.health = "running";
      log(worker.id, "info", `${worker.id} answers again after restart #${state.restarts}`);
    } catch (error) {
      state.health = "dead";
      state.lastProblem = error instanceof Error ? error.message : String(error);
      log(worker.id, "error", `${worker.id} is dead: it could not be started again (${state.lastProblem})`);
    }
  };

  for (const worker of workers) {
    // One loop per Worker, each check after the last ended: a slow one never piles up.
    const loop = () => {
      if (ended) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        void check(worker).finally(loop);
      }, options.intervalMs);
      // The supervisor alone never keeps the process alive.
      timer.unref();
      timers.add(timer);
    };
    loop();
  }

  return {
    status: () => [...states.values()].map((s) => ({ ...s })),
    stopped(id) {
      const state = states.get(id);
      if (state) state.health = "stopped";
    },
    resumed(id) {
      const state = states.get(id);
      if (state?.health === "stopped") Object.assign(state, { health: "running", failures: 0 });
    },
    stop() {
      ended = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

/** Null when GET /healthz answers 200 in time; else what went wrong, in a few words. */
async function healthProblem(url: string, timeoutMs: number): Promise<string | null> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status === 200 ? null : `/healthz answered ${res.status}`;
  } catch (error) {
    const name = (error as Error)?.name;
    return name === "TimeoutError" ? `no answer in ${timeoutMs} ms` : `/healthz failed (${(error as { cause?: { code?: string } })?.cause?.code ?? name})`;
  }
}
