/** The processes a launched mesh is made of, as chaos finds them (Linux /proc), and the faults done to them. */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** The workerd process that has files open under `dir` (a Worker's persisted state), or null. */
export function runtimeHolding(dir: string): number | null {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/comm`, "utf8").startsWith("workerd")) continue;
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`).startsWith(`${dir}/`)) return Number(entry);
      }
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return null;
}

/** SIGKILLs the workerd that holds a Worker's state: the runtime dies mid-whatever, as a machine losing power would. */
export function killRuntime(stateDir: string): number {
  const pid = runtimeHolding(stateDir);
  if (pid === null) throw new Error(`no workerd holds ${stateDir}`);
  process.kill(pid, "SIGKILL");
  return pid;
}

/** Resolves once GET /healthz answers 200 (a killed runtime is started again by wrangler, or by the supervisor). */
export async function whenAnswering(url: string, deadlineMs = 30_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.ok) return Date.now() - started;
    } catch {
      // Not yet.
    }
    if (Date.now() - started > deadlineMs) throw new Error(`${url} did not answer within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `pid` and every process below it (Linux /proc), children before their parents' death can orphan them. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent is the 4th field, after the command in parentheses (which may hold spaces).
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** SIGKILLs a process and everything below it at once: a machine that loses power. */
export function killTree(pid: number): number[] {
  const all = processTree(pid);
  for (const p of all) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  return all;
}

/** A process's resident memory in bytes (VmRSS), or null once it is gone. */
export function rssOf(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}
