/**
 * What the Node tests of the launched mesh share: plain HTTP calls to its Workers,
 * waiting on real time for what gossip and alarms do on their own, a mesh on ports
 * of the test's choosing, and the fixture provider open around the clock (so no test
 * depends on the hour or the day).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startMesh, type Mesh } from "../../federation/node/launcher/mesh.ts";
import { REPO_ROOT, type MeshOptions } from "../../federation/node/launcher/options.ts";
import { httpCall, type Call } from "../http-call.ts";

/** A call to one of the mesh's Workers over loopback. */
export const call = (base: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Call> =>
  httpCall(globalThis, `${base}${route}`, method, body, null, headers);

/**
 * Polls until `check` holds, within a deadline (real time: the alarm fires on its own here).
 * Past the deadline it fails, with the last value it read: a wait never passes silently.
 */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, deadlineMs = 15_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > until) throw new Error(`still not so after ${deadlineMs} ms; last seen: ${JSON.stringify(value)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A fresh three-site mesh in its own state folder; `stop` also removes the folder. */
export async function freshMesh(name: string, edgePort: number, sitePort: number, over: Partial<MeshOptions> = {}): Promise<{ mesh: Mesh; stop(): Promise<void> }> {
  const stateDir = await mkdtemp(path.join(tmpdir(), `mesh-${name}-`));
  const mesh = await startMesh(
    { sites: 3, fresh: true, stateDir, host: "127.0.0.1", edgePort, sitePort, settings: {}, readyTimeoutMs: 30_000, ...over },
    { log: () => {} },
  );
  return {
    mesh,
    async stop() {
      await mesh.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** The acme fixture, open around the clock, under another id. */
export async function acmeAllDay(id: string, over: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const acme = JSON.parse(await readFile(path.resolve(import.meta.dirname, "../../examples/providers/acme.json"), "utf8"));
  const allDay = Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]));
  return { ...acme, id, ...over, rules: { ...acme.rules, businessHours: allDay, holidays: [] } };
}

export interface LaunchedMesh {
  child: ChildProcess;
  /** Once it prints "ready": how long it said it took, the admin token and the URLs it printed. */
  ready: Promise<{ seconds: number; adminToken: string; urls: { edge: string; sites: Record<string, string> } }>;
  exited: Promise<number | null>;
  output(): string;
  /** Ctrl-C, and the launcher's own clean stop. */
  stop(): Promise<void>;
}

/** `npm start -- <args>` as its own process, on the pinned Node, with the developer's own settings kept out. */
export function launchMesh(args: string[], env: Record<string, string> = {}): LaunchedMesh {
  const pinned = path.join(REPO_ROOT, "node_modules", ".bin", "node");
  const base = { ...process.env };
  for (const key of ["MESH_ADMIN_TOKEN", "MESH_STATE_DIR", "HEARTBEAT_TIMEOUT_MS", "DIGEST_TTL_MS"]) delete base[key];
  const child = spawn(existsSync(pinned) ? pinned : process.execPath, ["federation/node/launcher/start.ts", ...args], {
    cwd: REPO_ROOT,
    env: { ...base, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready: LaunchedMesh["ready"] = new Promise((resolve, reject) => {
    const check = () => {
      const time = /ready in ([\d.]+) s/.exec(out);
      const token = /admin token\s+(\S+)/.exec(out);
      if (!time || !token) return;
      child.stdout.off("data", check);
      const { edge, ...sites } = Object.fromEntries([...out.matchAll(/^ {2}(\w+) +(http:\/\/\S+)$/gm)].map((m) => [m[1], m[2]]));
      resolve({ seconds: Number(time[1]), adminToken: token[1]!, urls: { edge: edge!, sites } });
    };
    child.stdout.on("data", check);
    void exited.then((code) => reject(new Error(`launcher exited (${code}) before it was ready:\n${out}`)));
  });
  ready.catch(() => {});
  return {
    child,
    ready,
    exited,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill("SIGINT");
      await exited;
    },
  };
}
