/** The processes a launched mesh is made of, as tests that kill or freeze one find them (Linux /proc). */
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
