/**
 * `npm start`: the local mesh until Ctrl-C. Prints every URL, the admin token
 * and the time from process start to every Worker answering /healthz.
 */
// mesh.ts (and wrangler, ~0.7 s to load) is imported only once the signal
// handlers below are in place, so an early Ctrl-C is still a clean stop.
import type { Mesh } from "./mesh.ts";
import { parseOptions, REPO_ROOT, USAGE, UsageError, type MeshOptions } from "./options.ts";
import type { Simulation } from "./simulation.ts";

let options: MeshOptions | null;
try {
  options = parseOptions(process.argv.slice(2), process.env, { cwd: process.cwd(), repoRoot: REPO_ROOT });
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  // One line: the slip and where the usage is, not a page to scroll past.
  process.stderr.write(`${error.message} (npm start -- --help for usage)\n`);
  process.exit(2);
}
if (options === null) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

// Signals are handled from the first moment, so Ctrl-C during startup also leaves no workerd behind.
const startup = new AbortController();
let mesh: Mesh | undefined;
let simulation: Simulation | undefined;
let exiting = false;
const shutdown = (signal: NodeJS.Signals) => {
  if (exiting) {
    // A second Ctrl-C while disposing: the user insists.
    process.stderr.write(`\n${signal} again, exiting now\n`);
    process.exit(130);
  }
  exiting = true;
  process.stdout.write(`\n${signal}: stopping the mesh…\n`);
  if (!mesh) {
    startup.abort(new Error(`${signal} during startup`));
    return;
  }
  simulation?.stop();
  void mesh.stop().then(() => {
    process.stdout.write("mesh stopped\n");
    process.exit(0);
  });
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
// Miniflare's exit hook answers SIGINT/SIGTERM by SIGKILLing its workerd and
// calling process.exit(130/143) before our dispose can finish. The launcher
// owns these two signals, so any other listener is taken off as soon as it is
// added; the "exit" hooks stay and still clean up whatever is left at exit.
process.on("newListener", (event, listener) => {
  if ((event === "SIGINT" || event === "SIGTERM") && listener !== shutdown) {
    queueMicrotask(() => process.off(event, listener));
  }
});

try {
  const { startMesh } = await import("./mesh.ts");
  mesh = await startMesh(options, { signal: startup.signal });
} catch (error) {
  if (startup.signal.aborted) {
    // Stopped on request before it was up: that is a clean exit.
    process.stdout.write("mesh stopped\n");
    process.exit(0);
  }
  process.stderr.write(`mesh failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

// performance.now() counts from process start, which is what a developer waits through.
const readySeconds = (performance.now() / 1000).toFixed(2);
const width = Math.max(4, ...Object.keys(mesh.urls.sites).map((id) => id.length));
const row = (label: string, value: string) => `  ${label.padEnd(width)}  ${value}\n`;
process.stdout.write(
  [
    `\ncallback mesh ready in ${readySeconds} s (process start → every Worker answering /healthz and every peer registered)\n`,
    row("edge", mesh.urls.edge),
    ...Object.entries(mesh.urls.sites).map(([id, url]) => row(id, url)),
    `\n  admin token  ${mesh.adminToken}  (${mesh.secrets.adminTokenSource === "env" ? "from MESH_ADMIN_TOKEN" : "generated; set MESH_ADMIN_TOKEN to choose one"})\n`,
    `  pages        ${mesh.urls.edge}/desk (agents) · /console (ops) · /graphiql · /demo/widget?provider=<id> (customers)\n`,
    `  state        ${mesh.stateDir}${options.fresh ? "  (fresh)" : ""}\n`,
    ...(mesh.peers.size > 0 ? [`  peers        ${[...mesh.peers].map(([id, m]) => `${id} ${m.peer.peerId}`).join("\n               ")}\n`] : []),
    `\nCtrl-C to stop.\n`,
  ].join(""),
);

if (options.simulate !== false && !exiting) {
  const { startSimulation } = await import("./simulation.ts");
  simulation = await startSimulation(mesh.urls.sites, mesh.adminToken, { log: (m: string) => process.stderr.write(`${m}\n`) });
  process.stdout.write(`simulating ${Object.keys(mesh.urls.sites).length * 5} agents (--no-sim to stop that)\n`);
}
