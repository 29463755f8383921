/**
 * The faults a soak picks from, each done to a running in-process mesh and undone by the
 * mesh itself (wrangler restarts a killed runtime, the supervisor a frozen one) or by the
 * fault when its time is up (a dark site is started again).
 */
import path from "node:path";
import type { Mesh } from "../federation/node/launcher/mesh.ts";
import { killRuntime, runtimeHolding, whenAnswering } from "./processes.ts";

export interface Fault {
  name: string;
  /** Does the fault; resolves once the mesh has been left to mend (or is mended). */
  run(mesh: Mesh, siteId: string): Promise<void>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const FAULTS: readonly Fault[] = [
  {
    name: "edge runtime SIGKILLed",
    async run(mesh) {
      killRuntime(path.join(mesh.stateDir, "edge"));
      await whenAnswering(mesh.urls.edge);
    },
  },
  {
    name: "site runtime SIGKILLed",
    async run(mesh, siteId) {
      killRuntime(path.join(mesh.stateDir, siteId));
      await whenAnswering(mesh.urls.sites[siteId]!);
    },
  },
  {
    // Alive to the kernel, dead to every caller: the supervisor restarts it after its failed checks.
    name: "site runtime frozen (SIGSTOP) for 10 s",
    async run(mesh, siteId) {
      const pid = runtimeHolding(path.join(mesh.stateDir, siteId));
      if (pid === null) return;
      process.kill(pid, "SIGSTOP");
      await pause(10_000);
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // Restarted by the supervisor meanwhile.
      }
      await whenAnswering(mesh.urls.sites[siteId]!, 60_000);
    },
  },
  {
    // Long enough to be declared down (four digests' time to live) and for its callbacks to move.
    name: "site Worker stopped for 25 s (its peer lives)",
    async run(mesh, siteId) {
      await mesh.stopSite(siteId);
      await pause(25_000);
      await mesh.startSite(siteId);
    },
  },
];
