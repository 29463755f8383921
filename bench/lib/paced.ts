/**
 * An open-loop load generator: requests leave at a fixed rate whatever the answers
 * (as heartbeats from many desks do), each timed from when it left, so a slow answer
 * delays no other request and shows in the percentiles as it is (a closed loop would
 * send less while the server is slow, and hide the wait). Several paced streams run
 * side by side; each is summed up alone.
 */
import { percentile, type Call } from "./load.ts";

export interface PacedStream {
  /** Shown in the report. */
  name: string;
  /** Requests per second (fractions allowed: 0.07 is one every ~14 s). */
  ratePerSecond: number;
  /** The `n`-th request of the stream (0-based). */
  next: (n: number) => Call;
  /** Statuses that are valid answers; anything else is counted as an error. */
  okStatuses: readonly number[];
  /** Seconds after the start of the run before the stream's first request (default 0). */
  offsetMs?: number;
}

export interface PacedStats {
  name: string;
  requests: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  errors: number;
  errorSamples: string[];
  /** Latencies of every answer, in the order they left (for the raw figures). */
  latencies: number[];
}

const MAX_ERROR_SAMPLES = 5;

/** Runs every stream for `durationMs`, then waits for the answers still out (at most `timeoutMs` each). */
export async function runPaced(streams: readonly PacedStream[], durationMs: number, timeoutMs = 30_000): Promise<PacedStats[]> {
  const start = performance.now();
  return Promise.all(
    streams.map(async (stream) => {
      const latencies: number[] = [];
      const statuses: Record<string, number> = {};
      const errorSamples: string[] = [];
      let errors = 0;
      const ok = new Set(stream.okStatuses);
      const inFlight: Promise<void>[] = [];
      const intervalMs = 1000 / stream.ratePerSecond;
      const first = start + (stream.offsetMs ?? 0);
      for (let n = 0; ; n++) {
        const due = first + n * intervalMs;
        if (due >= start + durationMs) break;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const { url, init } = stream.next(n);
        const index = latencies.length;
        latencies.push(Number.NaN);
        const sent = performance.now();
        inFlight.push(
          (async () => {
            let status: string;
            let sample: string | undefined;
            try {
              const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
              const body = await res.text();
              status = String(res.status);
              if (!ok.has(res.status)) sample = `${init.method ?? "GET"} ${url.pathname} -> ${res.status} ${body.slice(0, 300)}`;
            } catch (err) {
              status = "failed";
              sample = `${init.method ?? "GET"} ${url.pathname} -> ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
            }
            latencies[index] = performance.now() - sent;
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (sample !== undefined) {
              errors += 1;
              if (errorSamples.length < MAX_ERROR_SAMPLES) errorSamples.push(sample);
            }
          })(),
        );
      }
      await Promise.all(inFlight);
      return { name: stream.name, ...spreadOf(latencies), statuses, errors, errorSamples, latencies };
    }),
  );
}

/** Several runs of one stream summed up as one (percentiles over every answer). */
export function mergeStats(name: string, runs: readonly PacedStats[]): PacedStats {
  const latencies = runs.flatMap((r) => r.latencies);
  const statuses: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  return {
    name,
    ...spreadOf(latencies),
    statuses,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    errorSamples: runs.flatMap((r) => r.errorSamples).slice(0, MAX_ERROR_SAMPLES),
    latencies,
  };
}

/** How many answers, and their percentiles. */
function spreadOf(latencies: readonly number[]) {
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  };
}
