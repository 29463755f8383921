/** Every Worker as `wrangler deploy` builds it: gzip size against the 3 MiB Free limit, start-up in workerd against the 1 s limit. */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build, environments, FREE_GZIP_LIMIT_BYTES, mib, sizeOf, STARTUP_LIMIT_MS, startupOf, writeEmptyBundle, type Size, type Startup } from "./lib/bundles.ts";
import { startRun } from "./lib/harness.ts";
import { numberOption as num, readOptions } from "./lib/options.ts";
import { fixed, machine, round, table, writeResult } from "./lib/report.ts";

const HELP = `usage: npm run bench -- bundles [options]

Builds each environment of wrangler.toml with
  npx wrangler deploy --dry-run --env <env> --outdir … --outfile …
and for each:
  gzip      every module but source maps, gzipped at zlib's default level, as wrangler
            reports "Total Upload": the Workers Free limit is 3 MiB
  startup   npx wrangler check startup --worker …: workerd imports the Worker's main
            module while V8's profiler samples it. "CPU" is every sample but idle ones
            (wrangler's "Active"), against the platform's 1 s limit; "window" is the
            wall time from the profiler's start to its stop. An empty Worker is
            profiled the same way in the same run, interleaved with the others, as
            the floor of this machine (the profiler samples every few ms, so its CPU
            is a sample or two; compare windows).
Figures are medians over the repeats. Exits 1 when a Worker is over a limit.
Result: bench/results/bundles.json.

options:
  --env NAME      only this environment (repeatable; default: every one)
  --repeats N     start-up profiles per Worker (default 3)
  -h, --help      this text`;

interface Options {
  envs: string[] | null;
  repeats: number;
}

function parseOptions(args: string[]): Options | "help" {
  const { values } = parseArgs({
    args,
    options: {
      env: { type: "string", multiple: true },
      repeats: { type: "string", default: "3" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  return { envs: values.env ?? null, repeats: num("repeats", values.repeats, 1, 50) };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

interface Row {
  env: string;
  main: string;
  size: Size | null;
  startups: Startup[];
}

export async function main(args: string[]): Promise<number> {
  const options = readOptions("bundles", HELP, () => parseOptions(args));
  if (typeof options === "number") return options;
  const all = environments();
  const unknown = (options.envs ?? []).filter((e) => !all.some((p) => p.env === e));
  if (unknown.length > 0) {
    console.error(`no environment ${unknown.join(", ")} in wrangler.toml (there are ${all.map((p) => p.env).join(", ")})`);
    return 2;
  }
  const plans = options.envs ? all.filter((p) => options.envs?.includes(p.env)) : all;

  const run = startRun({ name: "bundles", budgetMs: 15 * 60_000 });
  try {
    const dir = await run.tempDir();
    const rows: Row[] = [];
    const built: string[] = [];
    for (const plan of plans) {
      process.stderr.write(`building ${plan.env}…\n`);
      const { bundleFile } = await build(plan.env, dir, run.signal);
      built.push(bundleFile);
      rows.push({ env: plan.env, main: plan.main, size: await sizeOf(bundleFile), startups: [] });
    }
    const empty: Row = { env: "(empty Worker)", main: "baseline", size: null, startups: [] };
    const emptyFile = join(dir, "empty.bundle");
    await writeEmptyBundle(emptyFile, built[0]);

    // Interleaved, so that whatever else this shared machine does falls on every Worker alike.
    const targets: [Row, string][] = [[empty, emptyFile], ...rows.map((r, i): [Row, string] => [r, built[i]])];
    for (let r = 0; r < options.repeats; r++) {
      for (const [row, file] of targets) {
        process.stderr.write(`start-up ${r + 1}/${options.repeats}: ${row.env}\n`);
        row.startups.push(await startupOf(file, join(dir, `${row.env.replace(/\W/g, "")}-${r}.cpuprofile`), run.signal));
      }
    }

    const emptyWindow = median(empty.startups.map((s) => s.windowMs));
    const summary = [empty, ...rows].map((row) => {
      const cpu = median(row.startups.map((s) => s.activeMs));
      const window = median(row.startups.map((s) => s.windowMs));
      return {
        env: row.env,
        main: row.main,
        rawBytes: row.size?.rawBytes ?? null,
        gzipBytes: row.size?.gzipBytes ?? null,
        startupCpuMs: round(cpu, 1),
        startupWindowMs: round(window, 1),
        windowOverEmpty: round(window / emptyWindow, 2),
        withinSize: row.size === null || row.size.gzipBytes <= FREE_GZIP_LIMIT_BYTES,
        withinStartup: cpu < STARTUP_LIMIT_MS,
        profiles: row.startups,
      };
    });

    console.log(
      table(
        ["Worker", "entry", "raw", "gzip", "of 3 MiB", "startup CPU ms", "of 1 s", "window ms", "× empty"],
        summary.map((s) => [
          s.env,
          s.main,
          s.rawBytes === null ? "—" : mib(s.rawBytes),
          s.gzipBytes === null ? "—" : mib(s.gzipBytes),
          s.gzipBytes === null ? "—" : `${fixed((100 * s.gzipBytes) / FREE_GZIP_LIMIT_BYTES, 0)}%`,
          fixed(s.startupCpuMs),
          `${fixed((100 * s.startupCpuMs) / STARTUP_LIMIT_MS, 1)}%`,
          fixed(s.startupWindowMs),
          fixed(s.windowOverEmpty, 1),
        ]),
      ),
    );
    const over = summary.filter((s) => !s.withinSize || !s.withinStartup);
    console.log(
      over.length === 0
        ? `\nevery Worker is within 3 MiB gzip and 1 s of start-up CPU (medians of ${options.repeats})`
        : `\nOVER A LIMIT: ${over.map((s) => `${s.env} (${[s.withinSize ? "" : "size", s.withinStartup ? "" : "start-up"].filter(Boolean).join(", ")})`).join("; ")}`,
    );
    const file = await writeResult("bundles", { when: new Date().toISOString(), machine: machine(), options, limits: { gzipBytes: FREE_GZIP_LIMIT_BYTES, startupMs: STARTUP_LIMIT_MS }, workers: summary });
    console.log(`result: ${file}`);
    return over.length === 0 ? 0 : 1;
  } finally {
    await run.finish();
  }
}
