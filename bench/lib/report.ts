/** Printing figures and keeping them in bench/results/<name>.json (git-ignored). */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { join } from "node:path";

export const resultsDir = join(import.meta.dirname, "..", "results");

export function machine(): Record<string, unknown> {
  const cpu = cpus();
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
  };
}

/** Writes the result and returns the file's path. */
export async function writeResult(name: string, result: unknown): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/**
 * A run's figures written down: its length from `startedMs` (performance.now()) in
 * `runSeconds`, then bench/results/<name>.json, and where they went.
 */
export async function saveRun(name: string, result: { runSeconds: number }, startedMs: number): Promise<string> {
  result.runSeconds = round((performance.now() - startedMs) / 1000, 1);
  const file = await writeResult(name, result);
  console.log(`\nwritten to ${file} (run took ${fixed(result.runSeconds)} s)`);
  return file;
}

/** A plain-text table; numeric-looking cells are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = (s: string) => /^[-+]?[\d.,]+( ?[a-z%×]+)?$/.test(s) || s === "—";
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i > 0 && numeric(c) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : "—");
export const round = (n: number, digits = 2): number => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);
