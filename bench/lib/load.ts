/**
 * A closed-loop load generator: N concurrent clients (Node fetch), each sending its
 * next request as soon as the previous answer is read, for a warm-up and then a
 * measured duration. Every measured request's latency is kept. `runLoop` is the same
 * loop around any async iteration (several requests in a row count as one).
 */

export interface Call {
  url: URL;
  init: RequestInit;
}

export interface LoadOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** The next request of client `client` (0-based); called once per request, warm-up included. */
  next: (client: number) => Call;
  /** Statuses that are valid answers; anything else is counted as an error. */
  okStatuses: readonly number[];
  /** Per-request timeout. */
  timeoutMs?: number;
  /**
   * Counters read right before and right after the measured phase (e.g. CPU time of
   * the server's process); their increase is returned in `sampled`, null where unknown.
   */
  sample?: () => Promise<Record<string, number | null>>;
}

export interface LoadStats {
  requests: number;
  /** Measured requests per second (all answers, valid or not). */
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  elapsedMs: number;
  /** Answers by HTTP status, measured phase only. */
  statuses: Record<string, number>;
  /** Requests with a status outside okStatuses, or that failed outright. */
  errors: number;
  /** A few examples of what went wrong, for the report. */
  errorSamples: string[];
  /** Increase of each `sample` counter over the measured phase. */
  sampled: Record<string, number | null>;
}

const MAX_ERROR_SAMPLES = 5;

export async function runLoad(options: LoadOptions): Promise<LoadStats> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const ok = new Set(options.okStatuses);
  return runLoop({
    concurrency: options.concurrency,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    sample: options.sample,
    iteration: async (id) => {
      const { url, init } = options.next(id);
      try {
        const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
        const body = await res.text();
        const valid = ok.has(res.status);
        return {
          status: String(res.status),
          ok: valid,
          sample: valid ? undefined : `${init.method ?? "GET"} ${url.pathname} -> ${res.status} ${body.slice(0, 300)}`,
        };
      } catch (err) {
        return { status: "failed", ok: false, sample: `${init.method ?? "GET"} ${url.pathname} -> ${describeError(err)}` };
      }
    },
  });
}

/** What one iteration of a client's loop came to: a status label (counted), and whether it is a valid answer. */
export interface Outcome {
  status: string;
  ok: boolean;
  /** What went wrong, for the report (only when not ok). */
  sample?: string;
}

export interface LoopOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /**
   * One unit of work of client `client` (0-based): a request, or several in a row
   * (e.g. an offer, then the callback request it leads to); its latency is the whole
   * iteration's. It must not throw (a throw counts as "failed"). `measured` is false
   * during the warm-up.
   */
  iteration: (client: number, measured: boolean) => Promise<Outcome>;
  sample?: LoadOptions["sample"];
}

/** The closed loop under runLoad, for iterations that are more than one request. */
export async function runLoop(options: LoopOptions): Promise<LoadStats> {
  const phase = async (ms: number, measured: boolean) => {
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    const errorSamples: string[] = [];
    let errors = 0;
    const start = performance.now();
    const deadline = start + ms;
    let lastEnd = start;
    const client = async (id: number) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        let outcome: Outcome;
        try {
          outcome = await options.iteration(id, measured);
        } catch (err) {
          outcome = { status: "failed", ok: false, sample: describeError(err) };
        }
        const t1 = performance.now();
        if (!measured) continue;
        latencies.push(t1 - t0);
        lastEnd = Math.max(lastEnd, t1);
        statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
        if (!outcome.ok) {
          errors += 1;
          if (errorSamples.length < MAX_ERROR_SAMPLES) errorSamples.push(outcome.sample ?? outcome.status);
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, (_, i) => client(i)));
    return { latencies, statuses, errors, errorSamples, elapsedMs: lastEnd - start };
  };

  if (options.warmupMs > 0) await phase(options.warmupMs, false);
  const before = options.sample ? await options.sample() : {};
  const m = await phase(options.durationMs, true);
  const after = options.sample ? await options.sample() : {};
  const sampled: Record<string, number | null> = {};
  for (const [key, value] of Object.entries(after)) {
    const was = before[key];
    sampled[key] = value === null || was === null || was === undefined ? null : value - was;
  }
  return { ...summarize(m.latencies, m.elapsedMs, m.statuses, m.errors, m.errorSamples), sampled };
}

function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Percentiles of a list of numbers (nearest rank), as the load report computes them. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  return n === 0 ? Number.NaN : sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
}

function summarize(
  latencies: number[],
  elapsedMs: number,
  statuses: Record<string, number>,
  errors: number,
  errorSamples: string[],
): Omit<LoadStats, "sampled"> {
  const sorted = Float64Array.from(latencies).sort();
  const n = sorted.length;
  const pct = (p: number) => percentile(sorted, p);
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    requests: n,
    rps: elapsedMs > 0 ? (n * 1000) / elapsedMs : 0,
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    maxMs: n === 0 ? Number.NaN : sorted[n - 1],
    meanMs: n === 0 ? Number.NaN : sum / n,
    elapsedMs,
    statuses,
    errors,
    errorSamples,
  };
}

/** Runs tasks with at most `concurrency` in flight; the first failure stops the rest and is thrown. */
export async function runTasks<T>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let nextIndex = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (failure === null && nextIndex < items.length) {
      const i = nextIndex++;
      try {
        await task(items[i], i);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== null) throw failure;
}
