/**
 * What the local mesh launcher is asked to do, from argv and the environment.
 * Pure: no I/O, so the CLI, tests and benchmarks share one reading of the flags.
 */
import path from "node:path";

/** The repo root (two folders up), where wrangler.toml and the default state folder are. */
export const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");
/** wrangler.toml's environment of the edge Worker (the top level deploys nothing). */
export const EDGE_ENV = "edge";
/** The sites wrangler.toml declares, in port order. */
export const NAMED_SITES = ["paris", "austin", "manila"] as const;
/** Extra sites (`--sites 4+`) borrow this environment's config and override SITE_ID. */
export const TEMPLATE_SITE = "paris";
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_EDGE_PORT = 8787;
export const DEFAULT_SITE_PORT = 8801;
/** Worker settings the launcher hands on from its own environment when set there. */
export const PASSTHROUGH_SETTINGS = ["HEARTBEAT_TIMEOUT_MS", "DIGEST_TTL_MS"] as const;
/** Generous: a cold start is ~3 s here; past this something is wrong, not slow. */
export const DEFAULT_READY_TIMEOUT_MS = 60_000;

export interface MeshOptions {
  /** How many sites: the first three are wrangler.toml's, then site4, site5, … */
  sites: number;
  /** Delete the state folder before starting. */
  fresh: boolean;
  /** Absolute path of the state folder (Durable Object storage and secrets). */
  stateDir: string;
  host: string;
  edgePort: number;
  /** Port of the first site; the others follow it. */
  sitePort: number;
  /** MESH_ADMIN_TOKEN from the environment, if any (else one is generated and kept). */
  adminToken?: string;
  /** PASSTHROUGH_SETTINGS that were set, passed to every Worker as vars. */
  settings: Record<string, string>;
  readyTimeoutMs: number;
  /** Start one federation peer per Worker and register them as members (default on). */
  peers?: boolean;
  /** `npm start` only: simulated agents changing state so the mesh is alive (default on). */
  simulate?: boolean;
  /** Another entry module for every site's Worker, absolute: the chaos suite's site whose clock can jump. */
  siteEntrypoint?: string;
}

export interface WorkerPlan {
  /** `edge` or the siteId; also the name of its state subfolder. */
  id: string;
  kind: "edge" | "site";
  /** The wrangler.toml environment it is built from. */
  env: string;
  /** Script name override, only for sites that borrow another site's environment. */
  name?: string;
  port: number;
}

export class UsageError extends Error {
  name = "UsageError";
}

export const USAGE = `Usage: npm start -- [options]

Starts the edge Worker and N site Workers locally, each in its own workerd.

  --sites N         number of sites (default 3: paris, austin, manila; then site4, …)
  --fresh           delete the state folder first and start empty
  --state DIR       state folder (default .mesh-state at the repo root; env MESH_STATE_DIR)
  --edge-port P     edge port (default ${DEFAULT_EDGE_PORT})
  --site-port P     first site's port, the others follow (default ${DEFAULT_SITE_PORT})
  --no-peers        Workers only: no federation peers, no gossip
  --no-sim          no simulated agents (by default a few per site log in, take calls, take breaks)
  --help            this text

Environment: MESH_ADMIN_TOKEN (else a generated one is kept in the state folder),
${PASSTHROUGH_SETTINGS.join(", ")} (passed to the Workers when set).`;

type Env = Record<string, string | undefined>;

export interface ParseContext {
  /** Where relative paths given on the command line are resolved. */
  cwd: string;
  /** Repo root: the default state folder lives there whatever the cwd. */
  repoRoot: string;
}

/** Returns null when help was asked for. Throws UsageError on bad input. */
export function parseOptions(argv: readonly string[], env: Env, ctx: ParseContext): MeshOptions | null {
  let sites: number = NAMED_SITES.length;
  let fresh = false;
  let peers = true;
  let simulate = true;
  let stateDir = nonEmpty(env.MESH_STATE_DIR);
  let edgePort = DEFAULT_EDGE_PORT;
  let sitePort = DEFAULT_SITE_PORT;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    // Accept both `--flag value` and `--flag=value`.
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case "--help":
      case "-h":
        return null;
      case "--fresh":
        fresh = true;
        break;
      case "--no-peers":
        peers = false;
        break;
      case "--no-sim":
        simulate = false;
        break;
      case "--sites":
        sites = integer(flag, value(), 1, 100);
        break;
      case "--state":
        stateDir = value();
        break;
      case "--edge-port":
        edgePort = integer(flag, value(), 1, 65535);
        break;
      case "--site-port":
        sitePort = integer(flag, value(), 1, 65535);
        break;
      default:
        throw new UsageError(arg.startsWith("-") ? `unknown option ${arg}` : `unexpected argument "${arg}"`);
    }
  }

  if (sitePort + sites - 1 > 65535) throw new UsageError(`--site-port ${sitePort} leaves no room for ${sites} sites`);
  if (edgePort >= sitePort && edgePort < sitePort + sites) {
    throw new UsageError(`the edge port ${edgePort} falls among the site ports ${sitePort}–${sitePort + sites - 1}`);
  }

  const settings: Record<string, string> = {};
  for (const key of PASSTHROUGH_SETTINGS) {
    const raw = nonEmpty(env[key]);
    if (raw === undefined) continue;
    // Fail here rather than as a NaN deep inside a Worker.
    if (!/^\d+$/.test(raw)) throw new UsageError(`${key} must be a whole number of milliseconds, not "${raw}"`);
    settings[key] = raw;
  }

  return {
    sites,
    fresh,
    stateDir: stateDir === undefined ? path.join(ctx.repoRoot, ".mesh-state") : path.resolve(ctx.cwd, stateDir),
    host: DEFAULT_HOST,
    edgePort,
    sitePort,
    adminToken: nonEmpty(env.MESH_ADMIN_TOKEN),
    settings,
    readyTimeoutMs: DEFAULT_READY_TIMEOUT_MS,
    peers,
    simulate,
  };
}

/** The Workers to start, edge first, with their ports. */
export function planWorkers(options: Pick<MeshOptions, "sites" | "edgePort" | "sitePort">): WorkerPlan[] {
  const plan: WorkerPlan[] = [{ id: "edge", kind: "edge", env: EDGE_ENV, port: options.edgePort }];
  for (let i = 0; i < options.sites; i++) {
    const named = NAMED_SITES[i];
    const port = options.sitePort + i;
    if (named !== undefined) plan.push({ id: named, kind: "site", env: named, port });
    else {
      const id = `site${i + 1}`;
      // A distinct script name keeps its Durable Objects apart in logs and storage.
      plan.push({ id, kind: "site", env: TEMPLATE_SITE, name: `callback-mesh-site-${id}`, port });
    }
  }
  return plan;
}

function integer(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag} wants a whole number, not "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}`);
  return n;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
