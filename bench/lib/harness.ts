/**
 * What every bench does around its measurements, so that a run never leaves workerd
 * processes, peers or temporary folders behind: however it ends (normally, by an
 * error, Ctrl-C, or a watchdog when it hangs), what it started is stopped and its
 * temporary folders are removed.
 */
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunOptions {
  /** The bench's name, in its temporary folders' names. */
  name: string;
  /** How long the whole run may take: past it, the run is stopped with exit code 1. */
  budgetMs: number;
  /** What is said to be stopping when the run is cut short ("the Workers"); nothing when not given. */
  stopping?: string;
}

export interface Run {
  /** Aborted (with the reason as an Error) when the run is cut short, for loops that may take long. */
  signal: AbortSignal;
  /** A new temporary folder (callback-mesh-bench-<name>[-<part>]-…), removed when the run ends. */
  tempDir(part?: string): Promise<string>;
  /** Removes a folder from tempDir before the run ends (a part of the run is done with it). */
  removeDir(dir: string): Promise<void>;
  /** Something started that must be stopped when the run ends; the function returned forgets it again. */
  track(stop: () => Promise<unknown>): () => void;
  /** Cuts the run short: stops what is tracked, removes the folders, exits the process with `code`. */
  abort(reason: string, code: number): void;
  /** The end of a run (call it in a finally): stops and removes everything, and lets go of the process hooks. */
  finish(): Promise<void>;
}

const removeOptions = { recursive: true, force: true, maxRetries: 5, retryDelay: 50 } as const;

/** Installs the hooks (exit, SIGINT/SIGTERM, watchdog) for one run; call finish() when it is over. */
export function startRun(options: RunOptions): Run {
  const dirs = new Set<string>();
  const running = new Set<() => Promise<unknown>>();
  const controller = new AbortController();
  let stopping = false;

  const removeDir = async (dir: string) => {
    await rm(dir, removeOptions);
    dirs.delete(dir);
  };
  const cleanup = async () => {
    const stops = [...running];
    running.clear();
    await Promise.allSettled(stops.map((stop) => stop()));
    await Promise.all([...dirs].map(removeDir));
  };
  // Miniflare's own SIGINT/SIGTERM hook kills workerd and exits at once, before any
  // async cleanup here can finish: the temporary folders then go on the way out.
  const onExit = () => {
    for (const dir of dirs) {
      try {
        rmSync(dir, removeOptions);
      } catch {
        // best effort: it is in the OS temp directory
      }
    }
  };
  process.once("exit", onExit);
  // Ctrl-C, or a run that hangs, still tears down what the run started.
  const abort = (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${reason}: stopping${options.stopping ? ` ${options.stopping}` : ""}…`);
    controller.abort(new Error(reason));
    void cleanup().finally(() => process.exit(code));
  };
  const onSignal = (signal: NodeJS.Signals) => abort(`received ${signal}`, 130);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const watchdog = setTimeout(() => abort(`the run took longer than ${Math.round(options.budgetMs / 1000)} s`, 1), options.budgetMs);
  watchdog.unref();

  return {
    signal: controller.signal,
    async tempDir(part) {
      const dir = await mkdtemp(join(tmpdir(), `callback-mesh-bench-${options.name}-${part ? `${part}-` : ""}`));
      dirs.add(dir);
      return dir;
    },
    removeDir,
    track(stop) {
      running.add(stop);
      return () => running.delete(stop);
    },
    abort,
    async finish() {
      clearTimeout(watchdog);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      // When aborting, abort's own cleanup is under way and exits the process.
      if (!stopping) await cleanup();
      process.off("exit", onExit);
    },
  };
}

/**
 * Starts things together and waits for all of them: each one that started is handed
 * to `keep` (so that it gets stopped) even when another failed, whose error is then
 * thrown. In the order given.
 */
export async function startAll<T>(starts: readonly Promise<T>[], keep: (started: T) => void): Promise<T[]> {
  const settled = await Promise.allSettled(starts);
  const started = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  for (const s of started) keep(s);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  return started;
}
