/**
 * CPU profiles of a Worker in local workerd, through its V8 inspector (a Worker
 * started with `inspector: true`, bench/lib/workers.ts): the profiler samples while
 * a load runs, and the profile is summed up by function and by module of the
 * bundle — esbuild marks where each source file starts (`// node_modules/…`), so a
 * sample's line says which library or project file it was in. The profiler slows
 * the Worker down: figures measured while it runs are not the bench's figures.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fixed, table } from "./report.ts";
import type { LocalWorker } from "./workers.ts";

interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A minimal Chrome DevTools Protocol client: one request at a time is all a profile needs. */
async function connect(inspector: URL): Promise<{ send: (method: string, params?: object) => Promise<unknown>; close: () => void }> {
  // The inspector lists its target's WebSocket at /json, as Chrome's does.
  const [target] = (await (await fetch(new URL("/json", inspector))).json()) as { webSocketDebuggerUrl: string }[];
  const url = new URL(target.webSocketDebuggerUrl);
  // Wrangler's proxy accepts DevTools from local origins only; Node's WebSocket (undici) takes headers as an option.
  const ws = new WebSocket(url.href, { headers: { origin: "http://127.0.0.1" } } as unknown as string[]);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`inspector at ${url.href} did not open`)), { once: true });
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const w = message.id === undefined ? undefined : waiting.get(message.id);
    if (!w) return;
    waiting.delete(message.id as number);
    if (message.error) w.reject(new Error(message.error.message));
    else w.resolve(message.result);
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Profiles the Worker behind `inspectorUrl` while `during` runs; `intervalUs` is the sampling interval. */
export async function profileWhile<T>(
  inspectorUrl: URL,
  during: () => Promise<T>,
  intervalUs = 100,
): Promise<{ result: T; profile: CpuProfile; sources: Map<string, string> }> {
  const cdp = await connect(inspectorUrl);
  try {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: intervalUs });
    await cdp.send("Profiler.start");
    const result = await during();
    const { profile } = (await cdp.send("Profiler.stop")) as { profile: CpuProfile };
    await cdp.send("Profiler.disable");
    // The bundle's text, to tell its modules apart (its url is only "index.js"); the debugger is on only for this.
    await cdp.send("Debugger.enable");
    const sources = new Map<string, string>();
    for (const id of new Set(profile.nodes.map((n) => n.callFrame.scriptId).filter((id) => id !== "0"))) {
      const { scriptSource } = (await cdp.send("Debugger.getScriptSource", { scriptId: id })) as { scriptSource: string };
      sources.set(id, scriptSource);
    }
    await cdp.send("Debugger.disable");
    return { result, profile, sources };
  } finally {
    cdp.close();
  }
}

export interface ProfileSummary {
  /** Sampled CPU: every sample but idle ones ("(program)" is V8 and workerd outside JS, "(garbage collector)" GC). */
  activeMs: number;
  byModule: { name: string; ms: number }[];
  byFunction: { name: string; ms: number }[];
}

/** Where a bundle's line comes from: the last `// path` marker esbuild wrote above it, reduced to a package or a project folder. */
function moduleMap(text: string): (line: number) => string {
  const starts: { line: number; name: string }[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    const m = /^\/\/ (\S+\.[cm]?[jt]sx?)$/.exec(line);
    if (!m) continue;
    const path = m[1];
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    starts.push({ line: i, name: pkg ? pkg[1] : path.split("/").slice(0, -1).join("/") || path });
  }
  return (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = "(bundle)";
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid].line <= line) {
        found = starts[mid].name;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/** Self time by module and by function, largest first; `sources` (by script id) tell a bundle's modules apart. */
export function summarize(profile: CpuProfile, sources: ReadonlyMap<string, string>, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  for (const [i, delta] of (profile.timeDeltas ?? []).entries()) {
    // A sample's time is the gap until the next one.
    const next = profile.timeDeltas?.[i + 1] ?? 0;
    const id = samples[i];
    if (id !== undefined) selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, next || delta));
  }
  const maps = new Map<string, (line: number) => string>();
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  let activeUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)") continue;
    activeUs += us;
    const source = sources.get(frame.scriptId);
    if (source !== undefined && !maps.has(frame.scriptId)) maps.set(frame.scriptId, moduleMap(source));
    const map = maps.get(frame.scriptId);
    const module = map ? map(frame.lineNumber) : frame.url || (frame.functionName.startsWith("(") ? frame.functionName : "(native)");
    modules.set(module, (modules.get(module) ?? 0) + us);
    const fn = `${frame.functionName || "(anonymous)"} ${module}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000 }));
  return { activeMs: activeUs / 1000, byModule: sorted(modules), byFunction: sorted(functions) };
}

/**
 * Sampled CPU whose stack holds a frame of a module `owns` (e.g. one object's code
 * and everything it calls), apart from idle samples: what one kind of code costs,
 * libraries it calls included.
 */
export function stackShareMs(profile: CpuProfile, sources: ReadonlyMap<string, string>, owns: (module: string) => boolean): number {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const maps = new Map<string, (line: number) => string>();
  const owned = new Map<number, boolean>();
  const moduleOf = (frame: CallFrame) => {
    const source = sources.get(frame.scriptId);
    if (source !== undefined && !maps.has(frame.scriptId)) maps.set(frame.scriptId, moduleMap(source));
    const map = maps.get(frame.scriptId);
    return map ? map(frame.lineNumber) : frame.url;
  };
  const isOwned = (id: number): boolean => {
    const known = owned.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const up = parent.get(id);
    const result = node ? owns(moduleOf(node.callFrame)) || (up !== undefined && isOwned(up)) : false;
    owned.set(id, result);
    return result;
  };
  let us = 0;
  const samples = profile.samples ?? [];
  for (const [i, delta] of (profile.timeDeltas ?? []).entries()) {
    const id = samples[i];
    const next = profile.timeDeltas?.[i + 1] ?? 0;
    if (id === undefined || byId.get(id)?.callFrame.functionName === "(idle)") continue;
    if (isOwned(id)) us += Math.max(0, next || delta);
  }
  return us / 1000;
}

/**
 * Profiles each Worker (those started with an inspector) while `load` runs against it,
 * writes DIR/<name>.cpuprofile (Chrome DevTools opens it) and prints its summary per
 * request of the load.
 */
export async function writeProfiles(
  dir: string,
  targets: readonly { name: string; worker: LocalWorker }[],
  load: (worker: LocalWorker) => Promise<{ requests: number }>,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const { name, worker } of targets) {
    if (!worker.inspectorUrl) continue;
    const { result, profile, sources } = await profileWhile(worker.inspectorUrl, () => load(worker));
    const file = join(dir, `${name}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    const sum = summarize(profile, sources, 15);
    const per = (ms: number) => `${fixed(ms / Math.max(1, result.requests), 3)} ms`;
    console.log(`\nprofile ${name}: ${result.requests} requests, ${per(sum.activeMs)} of sampled CPU per request (${file})`);
    console.log(table(["module (self time)", "per request"], sum.byModule.map((m) => [m.name, per(m.ms)])));
    console.log(table(["function (self time)", "per request"], sum.byFunction.map((f) => [f.name, per(f.ms)])));
  }
}
