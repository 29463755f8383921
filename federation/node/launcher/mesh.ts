/**
 * The local mesh: the edge Worker and every site Worker, each started with
 * wrangler's `unstable_startWorker`. Each gets its own Miniflare, hence its own
 * workerd process (plus one more for wrangler's proxy in front of it), as
 * separate deployments would, so one site can stop alone.
 * Used by the CLI (start.ts), by tests and by benchmarks.
 */
import { existsSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { unstable_startWorker } from "wrangler";
import { startMember, type MeshMemberProcess } from "../member.ts";
import { planWorkers, REPO_ROOT, type MeshOptions, type WorkerPlan } from "./options.ts";
import { checkPorts, isAddressInUse, portMessage } from "./ports.ts";
import { loadSecrets, SECRETS_FILE, type MeshSecrets } from "./secrets.ts";
import { supervise, type Supervisor, type SupervisorOptions, type WorkerStatus } from "./supervisor.ts";

// wrangler's .d.ts takes StartDevWorkerInput from @cloudflare/workers-utils, which
// it bundles but does not install: this resolves to `any`, so the input below is
// checked against wrangler's source by hand, not by tsc.
type StartInput = Parameters<typeof unstable_startWorker>[0];
type DevWorker = Awaited<ReturnType<typeof unstable_startWorker>>;

export { REPO_ROOT };
export const WRANGLER_CONFIG = path.join(REPO_ROOT, "wrangler.toml");

export interface MeshUrls {
  edge: string;
  /** By siteId, in port order. */
  sites: Record<string, string>;
}

export interface Mesh {
  urls: MeshUrls;
  adminToken: string;
  /** Every secret the Workers were given, for tests and tools that act as a peer or the cloud. */
  secrets: MeshSecrets;
  stateDir: string;
  /** From the call of startMesh to every Worker answering GET /healthz with 200. */
  startupMs: number;
  /** Disposes every Worker (their workerd processes exit); safe to call twice. */
  stop(): Promise<void>;
  /** Disposes one site's Worker alone, as if that contact center went dark (its peer lives on). */
  stopSite(siteId: string): Promise<void>;
  /** Starts a stopped site's Worker again on its state and port, resolving once it answers /healthz. */
  startSite(siteId: string): Promise<void>;
  /** Each Worker's federation peer, by id (`edge` or the siteId); empty with `peers: false`. */
  peers: Map<string, MeshMemberProcess>;
  /** Stops one member's peer alone (its Worker lives on). */
  stopPeer(id: string): Promise<void>;
  /** Each Worker as the supervisor sees it: running, restarting, dead or stopped, and its restarts. */
  workers(): WorkerStatus[];
}

export interface MeshHooks {
  /** Aborting during startup disposes whatever had started and rejects. */
  signal?: AbortSignal;
  /** Where each Worker's console output goes; by default stdout/stderr with a `[id]` prefix. */
  log?: (workerId: string, level: string, message: string) => void;
  /** How the Workers are watched once up (supervisor.ts); false: not at all. */
  supervise?: SupervisorOptions | false;
}

export async function startMesh(options: MeshOptions, hooks: MeshHooks = {}): Promise<Mesh> {
  const started = performance.now();
  const { signal } = hooks;
  const log = hooks.log ?? defaultLog;
  signal?.throwIfAborted();
  const plan = planWorkers(options);
  // Before --fresh deletes anything: a clash should cost the developer nothing.
  await checkPorts(plan, options.host);
  if (options.fresh) await clearState(options.stateDir);

  const secrets = await loadSecrets(options.stateDir, plan, options.adminToken);
  quietOffline();
  // Each Worker's DevEnv adds a process "exit" listener; a big mesh would trip Node's leak warning.
  process.setMaxListeners(Math.max(process.getMaxListeners(), plan.length * 2 + 10));

  const running = new Map<string, DevWorker>();
  let stopping: Promise<void> | undefined;
  const disposeAll = () =>
    (stopping ??= Promise.allSettled([...running.values()].map(dispose)).then(() => running.clear()));

  const deadline = started + options.readyTimeoutMs;
  // One failure (or the caller's abort) cuts the others' waits short.
  const giveUp = new AbortController();
  const abortOnCaller = () => giveUp.abort(signal?.reason);
  signal?.addEventListener("abort", abortOnCaller, { once: true });
  if (signal?.aborted) abortOnCaller();
  // Concurrently: on two cores the workerd starts overlap with bundling the others.
  await Promise.allSettled(
    plan.map(async (worker) => {
      try {
        giveUp.signal.throwIfAborted();
        const dev = await unstable_startWorker(workerInput(worker, plan, options, secrets, log));
        running.set(worker.id, dev);
        await whenHealthy(worker, dev, urlOf(options.host, worker.port), deadline, giveUp.signal, log, (reason) =>
          // Taken between our check and wrangler's listen: still say it with our flag, not wrangler's --port.
          isAddressInUse(reason) ? portMessage(worker, plan, options.host, "EADDRINUSE") : `${worker.id} failed to start: ${reason}`,
        );
      } catch (error) {
        giveUp.abort(error);
        throw error;
      }
    }),
  );
  signal?.removeEventListener("abort", abortOnCaller);
  if (giveUp.signal.aborted) {
    // Half a mesh is worse than none: stop what did start, then report the first cause.
    await disposeAll();
    throw giveUp.signal.reason;
  }

  const urls: MeshUrls = { edge: "", sites: {} };
  for (const worker of plan) {
    if (worker.kind === "edge") urls.edge = urlOf(options.host, worker.port);
    else urls.sites[worker.id] = urlOf(options.host, worker.port);
  }

  const startupMs = performance.now() - started;
  const peers = new Map<string, MeshMemberProcess>();
  if (options.peers !== false) {
    try {
      await startPeers(plan, urls, options, secrets, peers, log);
    } catch (error) {
      await Promise.allSettled([...peers.values()].map((p) => p.stop()));
      await disposeAll();
      throw error;
    }
  }
  const stopPeers = () => Promise.allSettled([...peers.values()].map((p) => p.stop())).then(() => peers.clear());

  // A Worker that stops answering is torn down and started again on its state, on its port.
  const restart = async (worker: WorkerPlan) => {
    const old = running.get(worker.id);
    running.delete(worker.id);
    if (old) await dispose(old);
    if (stopping) throw new Error("the mesh is stopping");
    const dev = await unstable_startWorker(workerInput(worker, plan, options, secrets, log));
    running.set(worker.id, dev);
    await whenHealthy(worker, dev, urlOf(options.host, worker.port), performance.now() + options.readyTimeoutMs, new AbortController().signal, log, (reason) => `${worker.id} failed to start again: ${reason}`);
  };
  const supervisor: Supervisor | null =
    hooks.supervise === false
      ? null
      : supervise(
          plan.map((worker) => ({ id: worker.id, url: urlOf(options.host, worker.port), restart: () => restart(worker) })),
          log,
          hooks.supervise,
        );

  return {
    urls,
    adminToken: secrets.MESH_ADMIN_TOKEN,
    secrets,
    stateDir: options.stateDir,
    startupMs,
    peers,
    stop: async () => {
      supervisor?.stop();
      await stopPeers();
      await disposeAll();
    },
    workers: () => supervisor?.status() ?? plan.map((w) => ({ id: w.id, health: running.has(w.id) ? "running" : "stopped", restarts: 0, failures: 0, lastProblem: null })),
    async stopPeer(id) {
      const member = peers.get(id);
      if (!member) throw new Error(`no running peer "${id}"`);
      peers.delete(id);
      await member.stop();
    },
    async startSite(siteId) {
      const worker = plan.find((w) => w.id === siteId && w.kind === "site");
      if (!worker) throw new Error(`no site "${siteId}"`);
      if (running.has(siteId)) throw new Error(`site "${siteId}" is running`);
      await restart(worker);
      supervisor?.resumed(siteId);
    },
    async stopSite(siteId) {
      const dev = running.get(siteId);
      if (!dev || !(siteId in urls.sites)) throw new Error(`no running site "${siteId}"`);
      supervisor?.stopped(siteId);
      running.delete(siteId);
      await dispose(dev);
    },
  };
}

/**
 * One federation peer per Worker, each bridged to its own Worker; then every one
 * is registered as a member at the edge (admin), which signs the list that the
 * peers pick up and trust. Peers listen on loopback ports the system chooses.
 */
async function startPeers(
  plan: readonly WorkerPlan[],
  urls: MeshUrls,
  options: MeshOptions,
  secrets: MeshSecrets,
  peers: Map<string, MeshMemberProcess>,
  log: NonNullable<MeshHooks["log"]>,
): Promise<void> {
  const edgePublicKey = JSON.parse(secrets.EDGE_MEMBERSHIP_PUBLIC_KEY);
  await Promise.all(
    plan.map(async (worker) => {
      const member = await startMember({
        siteId: worker.kind === "edge" ? "edge" : worker.id,
        workerUrl: urlOf(options.host, worker.port),
        peerSecret: secrets.workers[worker.id].peerSecret,
        edgeUrl: urls.edge,
        edgePublicKey,
        keyFile: path.join(options.stateDir, worker.id, "peer.key"),
        listen: [`/ip4/${options.host}/tcp/0`, `/ip4/${options.host}/tcp/0/ws`],
        publishes: worker.kind === "site",
        log: (message) => log(worker.id, "info", `peer: ${message}`),
      });
      peers.set(worker.id, member);
    }),
  );
  for (const worker of plan) {
    const member = peers.get(worker.id) as MeshMemberProcess;
    const res = await fetch(`${urls.edge}/v1/federation/members`, {
      method: "POST",
      headers: { authorization: `Bearer ${secrets.MESH_ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        siteId: worker.kind === "edge" ? "edge" : worker.id,
        peerId: member.peer.peerId,
        addrs: member.peer.addrs(),
        ...(worker.kind === "site" ? { subgraphUrl: `${urlOf(options.host, worker.port)}/graphql` } : {}),
        // The site's member key, so its agents' tokens work at the edge too.
        ...(secrets.workers[worker.id]?.memberKey ? { keys: [publicJwkOf(secrets.workers[worker.id].memberKey as string)] } : {}),
      }),
    });
    if (!res.ok) throw new Error(`registering ${worker.id}'s peer at the edge: ${res.status} ${await res.text()}`);
  }
}

/**
 * `Worker.dispose()` first awaits wrangler's proxy being ready, which never
 * happens when its port was taken, and then hangs forever; tearing the DevEnv
 * down directly stops it in every state (and waits for its workerd to exit).
 */
const dispose = (dev: DevWorker): Promise<void> => dev.raw.teardown();

function workerInput(worker: WorkerPlan, plan: readonly WorkerPlan[], options: MeshOptions, secrets: MeshSecrets, log: NonNullable<MeshHooks["log"]>): StartInput {
  return {
    config: WRANGLER_CONFIG,
    env: worker.env,
    name: worker.name,
    ...(worker.kind === "site" && options.siteEntrypoint ? { entrypoint: options.siteEntrypoint } : {}),
    bindings: bindingsFor(worker, plan, options, secrets),
    sendMetrics: false,
    dev: {
      server: { hostname: options.host, port: worker.port },
      // `wrangler dev --persist-to <dir>` layout (<dir>/v3/do/...), one folder per Worker.
      persist: path.join(options.stateDir, worker.id),
      inspector: false,
      watch: false,
      liveReload: false,
      // Quiets wrangler's banner and its bindings table, which would print secret values.
      logLevel: "warn",
      structuredLogsHandler: ({ level, message }: { level: string; message: string }) => log(worker.id, level, message),
    },
  };
}

/**
 * Plain-text vars; they win over wrangler.toml's vars of the same name.
 * Everything a deployment would set with `wrangler secret put` or per-deployment vars.
 */
export function bindingsFor(worker: WorkerPlan, plan: readonly WorkerPlan[], options: Pick<MeshOptions, "host" | "settings">, secrets: MeshSecrets) {
  const own = secrets.workers[worker.id];
  if (!own) throw new Error(`no secrets for ${worker.id}`);
  const vars: Record<string, string> = {
    ...options.settings,
    MESH_ADMIN_TOKEN: secrets.MESH_ADMIN_TOKEN,
    PEER_SECRET: own.peerSecret,
    EDGE_MEMBERSHIP_PUBLIC_KEY: secrets.EDGE_MEMBERSHIP_PUBLIC_KEY,
  };
  if (worker.kind === "edge") {
    vars.EDGE_JWT_SECRET = own.jwtSecret;
    vars.EDGE_MEMBERSHIP_KEY = secrets.EDGE_MEMBERSHIP_KEY;
    // Links handed to customers point here; the cloud reaches each site over loopback, as it would over the internet.
    vars.PUBLIC_URL = urlOf(options.host, worker.port);
    vars.SITE_URLS = JSON.stringify(Object.fromEntries(plan.filter((w) => w.kind === "site").map((w) => [w.id, urlOf(options.host, w.port)])));
  } else {
    vars.SITE_JWT_SECRET = own.jwtSecret;
    if (own.memberKey) vars.MEMBER_SIGNING_KEY = own.memberKey;
    // Sites beyond wrangler.toml's reuse another site's environment; their identity comes from here.
    vars.SITE_ID = worker.id;
  }
  return Object.fromEntries(Object.entries(vars).map(([key, value]) => [key, { type: "plain_text" as const, value }]));
}

/**
 * Resolves once GET /healthz answers 200. `worker.ready` only means wrangler's
 * proxy is listening (it holds requests until the real Worker is up) and never
 * settles if the proxy cannot start, so a failed build or runtime start is
 * caught from the DevEnv's events, and the deadline and `signal` end any wait.
 */
async function whenHealthy(
  worker: WorkerPlan,
  dev: DevWorker,
  url: string,
  deadline: number,
  signal: AbortSignal,
  log: NonNullable<MeshHooks["log"]>,
  failure: (reason: string) => string,
): Promise<void> {
  let cleanup = () => {};
  const stopped = new Promise<never>((_, reject) => {
    const fail = (event: unknown) => reject(new Error(failure(describe(event))));
    const abort = () => reject(signal.reason);
    const timer = setTimeout(() => reject(new Error(`${worker.id} did not answer ${url}/healthz in time`)), Math.max(0, deadline - performance.now()));
    dev.raw.once("error", fail);
    dev.raw.once("buildFailed", fail);
    signal.addEventListener("abort", abort, { once: true });
    cleanup = () => {
      clearTimeout(timer);
      dev.raw.off("error", fail);
      dev.raw.off("buildFailed", fail);
      signal.removeEventListener("abort", abort);
    };
  });
  stopped.catch(() => {});

  const poll = async () => {
    await dev.ready;
    while (!signal.aborted && performance.now() < deadline) {
      try {
        const attempt = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, Math.min(deadline - performance.now(), 5_000)))]);
        const response = await fetch(`${url}/healthz`, { signal: attempt });
        await response.body?.cancel();
        if (response.status === 200) return;
      } catch (error) {
        if (!isRetryable(error)) throw error;
      }
      // Only reached if the port was not open yet or the Worker answered non-200.
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw signal.aborted ? signal.reason : new Error(`${worker.id} did not answer ${url}/healthz in time`);
  };
  const polling = poll();
  // Whichever loses the race must not surface later as an unhandled rejection.
  polling.catch(() => {});
  try {
    await Promise.race([polling, stopped]);
  } finally {
    cleanup();
    // From now on an "error" event is only reported: with no listener it would kill the process.
    dev.raw.on("error", (event: unknown) => log(worker.id, "error", describe(event)));
  }
}

/**
 * `--fresh`: deletes the state folder, but only one this launcher made (it has
 * our secrets file) or an empty one — `--state ~` must never erase a home folder.
 */
async function clearState(stateDir: string): Promise<void> {
  if (!existsSync(stateDir)) return;
  const entries = await readdir(stateDir);
  if (entries.length > 0 && !entries.includes(SECRETS_FILE)) {
    throw new Error(`refusing to delete ${stateDir}: it does not look like a mesh state folder (no ${SECRETS_FILE})`);
  }
  await rm(stateDir, { recursive: true, force: true });
}

/**
 * The mesh is local by definition: Miniflare would otherwise try to download
 * the `Request.cf` object at every start (up to 3 s with no network) and warn.
 * And it runs for hours: what only a debugging session wants is off.
 */
function quietOffline() {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  // wrangler's local trace collector keeps every request of every Worker (gossip polls several times a second):
  // the soak measured it at ~250 MB more in this process and 2 MB a minute per Worker on disk. Set to "true" to have it.
  process.env.X_LOCAL_OBSERVABILITY ??= "false";
}

/** No trailing slash: SITE_URLS and PUBLIC_URL are bases that paths starting with "/" are appended to. */
const urlOf = (host: string, port: number) => `http://${host}:${port}`;

function isRetryable(error: unknown): boolean {
  const code = (error as { cause?: { code?: string } })?.cause?.code;
  return code === "ECONNREFUSED" || code === "ECONNRESET" || (error as Error)?.name === "TimeoutError";
}

function describe(event: unknown): string {
  if (event instanceof Error) return event.message;
  const e = event as { reason?: string; cause?: { message?: string } } | undefined;
  return [e?.reason, e?.cause?.message].filter(Boolean).join(": ") || String(event);
}

function defaultLog(workerId: string, level: string, message: string) {
  const out = level === "error" || level === "warn" ? process.stderr : process.stdout;
  const prefix = `[${workerId}] `;
  out.write(`${prefix}${message.replace(/\n(?=.)/g, `\n${prefix}`)}${message.endsWith("\n") ? "" : "\n"}`);
}

/** The public half of a private Ed25519 JWK (JSON), as a member registers it. */
function publicJwkOf(privateJwk: string): { kty: string; crv: string; x: string } {
  const { kty, crv, x } = JSON.parse(privateJwk) as { kty: string; crv: string; x: string };
  return { kty, crv, x };
}
