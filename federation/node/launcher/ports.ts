/**
 * Ports are checked before any workerd starts: a clash is then said in the
 * launcher's own terms (`--edge-port`, `--site-port`), not wrangler's `--port`,
 * and nothing half-started has to be torn down.
 */
import net from "node:net";
import type { WorkerPlan } from "./options.ts";

export class PortError extends Error {
  name = "PortError";
}

/** Resolves when every planned port can be listened on; else throws one PortError naming them all. */
export async function checkPorts(plan: readonly WorkerPlan[], host: string): Promise<void> {
  const results = await Promise.all(plan.map(async (worker) => ({ worker, code: await listenCode(host, worker.port) })));
  const clashes = results.filter((r): r is { worker: WorkerPlan; code: string } => r.code !== null);
  if (clashes.length > 0) throw new PortError(clashes.map(({ worker, code }) => portMessage(worker, plan, host, code)).join("\n"));
}

/** What to tell the developer about one port, with the flag that moves it. */
export function portMessage(worker: WorkerPlan, plan: readonly WorkerPlan[], host: string, code: string): string {
  const what = code === "EADDRINUSE" ? "is already in use" : code === "EACCES" ? "needs privileges" : `cannot be listened on (${code})`;
  if (worker.kind === "edge") return `${host}:${worker.port}, the edge's port, ${what}: stop what holds it or choose another with --edge-port P`;
  const sites = plan.filter((w) => w.kind === "site").map((w) => w.port);
  const range = sites.length > 1 ? ` (the sites take ${Math.min(...sites)}–${Math.max(...sites)})` : "";
  return `${host}:${worker.port}, site ${worker.id}'s port${range}, ${what}: stop what holds it or move the sites with --site-port P`;
}

/** True for the error wrangler reports when its proxy could not take the port (a clash after our check). */
export function isAddressInUse(message: string): boolean {
  return /address already in use|EADDRINUSE/i.test(message);
}

/** null when `port` can be listened on now (it is released at once), else the error code. */
function listenCode(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(null)));
  });
}
