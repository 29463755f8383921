/**
 * The Workers as `wrangler deploy` would upload them: built with `wrangler deploy --dry-run`,
 * weighed the way wrangler weighs an upload (default gzip over every module, source maps
 * left out), and their start-up profiled in local workerd with `wrangler check startup`,
 * beside an empty Worker profiled the same way. Shared by `npm run bench -- bundles` and
 * test/node/bundles.test.ts.
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { experimental_readRawConfig } from "wrangler";

export const root = join(import.meta.dirname, "..", "..");

/** Workers Free: a Worker may be at most 3 MiB after compression. */
export const FREE_GZIP_LIMIT_BYTES = 3 * 1024 * 1024;
/** Every plan: the global scope must be parsed and run within 1 s of CPU. */
export const STARTUP_LIMIT_MS = 1000;

const execFileAsync = promisify(execFile);
// Offline and quiet: no metrics, no log files per run.
const wranglerEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_WRITE_LOGS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const wranglerPackage = createRequire(import.meta.url).resolve("wrangler/package.json");
const wranglerBin = join(dirname(wranglerPackage), (JSON.parse(await readFile(wranglerPackage, "utf8")) as { bin: { wrangler: string } }).bin.wrangler);

/**
 * `npx wrangler …`: the same program npx finds (the project's wrangler), run by this Node
 * without npx's own start, which costs about a second on every call.
 */
function wrangler(args: string[], signal?: AbortSignal) {
  return execFileAsync(process.execPath, [wranglerBin, ...args], { cwd: root, env: wranglerEnv, signal, maxBuffer: 16 * 1024 * 1024 });
}

export interface EnvPlan {
  env: string;
  /** The entry module (`main`), so Workers built from the same code can be told apart. */
  main: string;
}

/** The environments of wrangler.toml, in its order, each with its resolved `main`. */
export function environments(config = join(root, "wrangler.toml")): EnvPlan[] {
  // Typed here: the declared type comes from a package wrangler bundles and does not ship.
  const { rawConfig } = experimental_readRawConfig({ config }) as { rawConfig: { main?: string; env?: Record<string, { main?: string }> } };
  return Object.entries(rawConfig.env ?? {}).map(([env, e]) => ({ env, main: e.main ?? rawConfig.main ?? "" }));
}

export interface Built {
  env: string;
  /** The multipart upload wrangler would send (`--outfile`), which `wrangler check startup --worker` reads. */
  bundleFile: string;
  /** The modules as files (`--outdir`). */
  outDir: string;
}

/** `npx wrangler deploy --dry-run --env <env> --outdir <dir>/<env> --outfile <dir>/<env>.bundle`. */
export async function build(env: string, dir: string, signal?: AbortSignal): Promise<Built> {
  const outDir = join(dir, env);
  const bundleFile = join(dir, `${env}.bundle`);
  await wrangler(["deploy", "--dry-run", "--env", env, "--outdir", outDir, "--outfile", bundleFile], signal);
  return { env, bundleFile, outDir };
}

/** The parts of a multipart upload file (its first line is `--<boundary>`). */
async function parts(bundleFile: string): Promise<FormData> {
  const bytes = await readFile(bundleFile);
  const boundary = bytes.subarray(2, bytes.indexOf(0x0a)).toString().trim();
  return new Response(bytes, { headers: { "content-type": `multipart/form-data; boundary=${boundary}` } }).formData();
}

export interface Size {
  rawBytes: number;
  gzipBytes: number;
  modules: number;
}

/** As wrangler reports "Total Upload": every module but source maps, concatenated, gzipped at zlib's default level. */
export async function sizeOf(bundleFile: string): Promise<Size> {
  const modules: Blob[] = [];
  for (const [, value] of await parts(bundleFile)) {
    if (typeof value !== "string" && value.type !== "application/source-map") modules.push(value);
  }
  const all = new Uint8Array(await new Blob(modules).arrayBuffer());
  return { rawBytes: all.byteLength, gzipBytes: gzipSync(all).byteLength, modules: modules.length };
}

/**
 * An upload of a Worker that does nothing, with the compatibility settings of `like`:
 * the floor of what `wrangler check startup` measures on this machine.
 */
export async function writeEmptyBundle(file: string, like: string): Promise<void> {
  const metadata = JSON.parse(String((await parts(like)).get("metadata"))) as { compatibility_date?: string; compatibility_flags?: string[] };
  const form = new FormData();
  form.set(
    "metadata",
    JSON.stringify({ main_module: "index.js", bindings: [], compatibility_date: metadata.compatibility_date, compatibility_flags: metadata.compatibility_flags ?? [] }),
  );
  form.set("index.js", new File(['export default { fetch() { return new Response("ok"); } };\n'], "index.js", { type: "application/javascript+module" }));
  await writeFile(file, new Uint8Array(await new Response(form).arrayBuffer()));
}

export interface Startup {
  /** CPU in the sampled profile: every sample but idle ones (garbage collection included), as wrangler's "Active". */
  activeMs: number;
  /** Wall time from the profiler's start to its stop: dispatch, the global scope's evaluation, the answer. */
  windowMs: number;
  samples: number;
}

interface CpuProfile {
  startTime: number;
  endTime: number;
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * `npx wrangler check startup --worker <bundle>`: workerd imports the Worker's main module
 * inside a request while the V8 profiler runs. Read from the .cpuprofile it writes, not its
 * printed summary, which is made for people.
 */
export async function startupOf(bundleFile: string, profileFile: string, signal?: AbortSignal): Promise<Startup> {
  await wrangler(["check", "startup", "--worker", bundleFile, "--outfile", profileFile], signal);
  const profile = JSON.parse(await readFile(profileFile, "utf8")) as CpuProfile;
  const names = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]));
  const samples = profile.samples ?? [];
  let activeUs = 0;
  for (const [i, delta] of (profile.timeDeltas ?? []).entries()) {
    if (names.get(samples[i]) !== "(idle)") activeUs += delta;
  }
  return { activeMs: activeUs / 1000, windowMs: (profile.endTime - profile.startTime) / 1000, samples: samples.length };
}

export const mib = (bytes: number, digits = 2): string => `${(bytes / 2 ** 20).toFixed(digits)} MiB`;
