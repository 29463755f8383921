/**
 * `npm run test:loaded -- --runs 5 --hogs 1`: runs `npm test` again and again while other
 * processes keep CPUs busy, to show the suite does not depend on having the machine to itself.
 * A hog is a Node process spinning in a loop (one core each). Every run's output is kept in
 * `.test-under-load/run-N.log`; the table at the end gives each run's exit code, duration and
 * summary line. Exits 1 if any run failed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, hogs: { type: "string", default: "1" } } });
const runs = Number(values.runs);
const hogCount = Number(values.hogs);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(hogCount) || hogCount < 0) {
  console.error("usage: npm run test:loaded -- [--runs N] [--hogs N]");
  process.exit(2);
}

const LOGS = ".test-under-load";
mkdirSync(LOGS, { recursive: true });

// Each hog spins one core flat out until it is killed.
const hogs: ChildProcess[] = Array.from({ length: hogCount }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
const stopHogs = () => hogs.forEach((h) => h.kill("SIGKILL"));
process.on("exit", stopHogs);
process.on("SIGINT", () => process.exit(130));

function runOnce(n: number): Promise<{ code: number; seconds: number; summary: string; load: string }> {
  const log = `${LOGS}/run-${n}.log`;
  const out = openSync(log, "w");
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn("npm", ["test"], { stdio: ["ignore", out, out] });
    child.on("exit", (code) => {
      const text = readFileSync(log, "utf8");
      const summary = text.match(/^\d+ passed, \d+ failed, \d+ skipped$/m)?.[0] ?? "(no summary: see the log)";
      resolve({ code: code ?? 1, seconds: (performance.now() - started) / 1000, summary, load: loadavg()[0].toFixed(2) });
    });
  });
}

console.log(`npm test × ${runs}, with ${hogCount} CPU hog(s) on a ${cpus().length}-CPU machine; logs in ${LOGS}/`);
const results = [];
for (let n = 1; n <= runs; n++) {
  const r = await runOnce(n);
  results.push(r);
  console.log(`run ${n}: exit ${r.code}, ${r.seconds.toFixed(0)} s, load ${r.load} — ${r.summary}`);
}
stopHogs();
const failed = results.filter((r) => r.code !== 0).length;
console.log(failed === 0 ? `all ${runs} runs passed` : `${failed} of ${runs} runs failed`);
process.exit(failed === 0 ? 0 : 1);
