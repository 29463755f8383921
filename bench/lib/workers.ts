/**
 * Starts a Worker from a wrangler config in local workerd, through wrangler's
 * programmatic dev API, and hands back its URL and a dispose function.
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:net";
import { join } from "node:path";

// Quiet, offline and traceless unless the caller asked otherwise: no request log
// lines in the load generator's process, no `Request.cf` download attempt (there is
// no internet here), no telemetry, no log files per run.
process.env.WRANGLER_LOG ??= "warn";
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.WRANGLER_WRITE_LOGS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

export type BindingValue = { type: "plain_text" | "secret_text"; value: string };

export interface LocalWorkerOptions {
  /** Shown in messages. */
  label: string;
  /** Path of the wrangler config file. */
  config: string;
  /** Wrangler environment ([env.<name>]). */
  env?: string;
  /** Replaces the config's `main`. */
  entrypoint?: string;
  /** Bindings added to (and overriding) the config's. */
  bindings?: Record<string, BindingValue>;
  /** Durable Object storage directory; false keeps it in memory. */
  persist: string | false;
  /** Path answered 200 once the Worker really serves (wrangler's `ready` resolves earlier). */
  readyPath: string;
  /**
   * Send requests straight to the user Worker's workerd socket instead of through
   * wrangler's dev proxy Worker, which adds a hop (another workerd) to every request.
   */
  direct: boolean;
  /** Port of wrangler's dev server (its proxy Worker); a free one when not given. */
  port?: number;
  /** Open workerd's V8 inspector (for CPU profiles: bench/lib/profile.ts); off by default, as it costs a little. */
  inspector?: boolean;
  startTimeoutMs?: number;
}

export interface LocalWorker {
  label: string;
  /** Where to send requests. */
  url: URL;
  /** Wrangler's public dev server URL (through its proxy Worker). */
  proxyUrl: URL;
  /** True when `url` is the user Worker's own socket. */
  direct: boolean;
  /** The user Worker's own workerd socket, when wrangler told it (the proxy forwards there). */
  innerUrl: URL | null;
  /** The user Worker's V8 inspector (a WebSocket URL), when `inspector` was asked for. */
  inspectorUrl: URL | null;
  dispose(): Promise<void>;
}

/** A TCP port that was free a moment ago on 127.0.0.1 (never wrangler's default 8787). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        const p = typeof address === "object" && address ? address.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port !== 8787 && (port < 8800 || port > 8810)) return port;
  }
}

type ReloadComplete = {
  proxyData?: { userWorkerUrl?: { protocol: string; hostname: string; port: string } };
};

/** Wrangler's dev environment, as much of it as is used here (its input types are not all shipped). */
interface DevEnvLike {
  on(event: string, listener: (event: unknown) => void): unknown;
  off(event: string, listener: (event: unknown) => void): unknown;
  startWorker(options: unknown): Promise<{ ready: Promise<void>; url: Promise<URL>; inspectorUrl: Promise<URL | undefined>; dispose(): Promise<void> }>;
  teardown(): Promise<void>;
}

export async function startLocalWorker(options: LocalWorkerOptions): Promise<LocalWorker> {
  const wrangler = (await import("wrangler")) as unknown as { unstable_DevEnv: new () => DevEnvLike };
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const port = options.port ?? (await freePort());
  const devEnv = new wrangler.unstable_DevEnv();

  // Listen before starting, so the first reload (the one that brings the Worker up) is not missed.
  let onReload!: (event: unknown) => void;
  let onError!: (event: unknown) => void;
  const reloaded = new Promise<ReloadComplete>((resolve, reject) => {
    onReload = (event) => resolve(event as ReloadComplete);
    onError = (event) => reject(new Error(`${options.label}: wrangler reported an error: ${describe(event)}`));
    devEnv.on("reloadComplete", onReload);
    devEnv.on("error", onError);
  });
  reloaded.catch(() => {}); // observed below; never an unhandled rejection

  let worker: Awaited<ReturnType<DevEnvLike["startWorker"]>> | undefined;
  let disposed = false;
  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    devEnv.off("reloadComplete", onReload);
    devEnv.off("error", onError);
    try {
      if (worker) await worker.dispose();
      else await devEnv.teardown();
    } catch (err) {
      console.error(`${options.label}: dispose failed:`, err instanceof Error ? err.message : err);
    }
  };

  try {
    worker = await devEnv.startWorker({
      config: options.config,
      env: options.env,
      ...(options.entrypoint ? { entrypoint: options.entrypoint } : {}),
      bindings: options.bindings ?? {},
      dev: {
        server: { hostname: "127.0.0.1", port },
        persist: options.persist,
        watch: false,
        inspector: options.inspector ? { hostname: "127.0.0.1", port: await freePort() } : false,
        liveReload: false,
      },
    });
    await withTimeout(worker.ready, timeoutMs, `${options.label}: wrangler not ready`);
    const proxyUrl = await worker.url;
    const reload = await withTimeout(reloaded, timeoutMs, `${options.label}: the Worker did not start`);
    const inner = reload.proxyData?.userWorkerUrl;
    const innerUrl = inner ? new URL(`${inner.protocol}//${inner.hostname}:${inner.port}/`) : null;
    // Wrangler's proxy of workerd's inspector: wrangler holds workerd's own connection (a second one is closed at once).
    const inspectorUrl = options.inspector ? ((await worker.inspectorUrl) ?? null) : null;
    const direct = options.direct && innerUrl !== null;
    const url = direct && innerUrl ? innerUrl : proxyUrl;
    await waitUntilServing(new URL(options.readyPath, url), timeoutMs, options.label);
    return { label: options.label, url, proxyUrl, direct, innerUrl, inspectorUrl, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/**
 * The baseline the benches compare with: a bare Worker + SQLite Durable Object
 * (bench/bare-insert) doing one INSERT per request, started the same way for each.
 */
export function startBareInsertWorker(persist: string, direct: boolean): Promise<LocalWorker> {
  return startLocalWorker({
    label: "bare-insert Worker",
    config: join(import.meta.dirname, "..", "bare-insert", "wrangler.toml"),
    persist,
    readyPath: "/healthz",
    direct,
  });
}

async function waitUntilServing(url: URL, timeoutMs: number, label: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, Math.min(5_000, deadline - Date.now()))) });
      const body = await res.text();
      if (res.ok) return;
      last = `${res.status} ${body.slice(0, 200)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${label}: ${url.href} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(event: unknown): string {
  if (event instanceof Error) return event.message;
  if (event && typeof event === "object") {
    const e = event as { reason?: unknown; cause?: { message?: unknown } };
    return [e.reason, e.cause?.message].filter((x) => typeof x === "string").join(": ") || JSON.stringify(event);
  }
  return String(event);
}

/**
 * The edge's membership key pair, as a deployment has it (JWK JSON): the edge signs the
 * membership list and each call to a site with the private half; sites hold the public half.
 */
export function membershipKeyPair(): { EDGE_MEMBERSHIP_KEY: string; EDGE_MEMBERSHIP_PUBLIC_KEY: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    EDGE_MEMBERSHIP_KEY: JSON.stringify(privateKey.export({ format: "jwk" })),
    EDGE_MEMBERSHIP_PUBLIC_KEY: JSON.stringify(publicKey.export({ format: "jwk" })),
  };
}
