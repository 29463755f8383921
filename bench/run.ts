/**
 * Benchmark dispatcher: `npm run bench -- <name> [options]` runs bench/<name>.ts.
 *
 * A benchmark is any bench/<name>.ts (other than this file) that exports
 * `main(args: string[]): Promise<number | void>`; its first `/** ... *\/` line is
 * its description in the usage text. Shared helpers live in bench/lib/, fixtures
 * (such as the bare-insert Worker) in their own folders, so neither is listed.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const benchDir = import.meta.dirname;

interface Bench {
  name: string;
  description: string;
}

async function available(): Promise<Bench[]> {
  const files = (await readdir(benchDir, { withFileTypes: true }))
    .filter((f) => f.isFile() && f.name.endsWith(".ts") && f.name !== "run.ts" && !f.name.startsWith("_"))
    .map((f) => f.name)
    .sort();
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(join(benchDir, file), "utf8");
      const doc = /\/\*\*\s*\n?\s*\*?\s*([^\n]*)/.exec(text);
      return { name: file.slice(0, -".ts".length), description: doc ? doc[1].replace(/\*\/\s*$/, "").trim() : "" };
    }),
  );
}

function usage(benches: Bench[], problem?: string): string {
  const width = Math.max(0, ...benches.map((b) => b.name.length));
  return [
    ...(problem ? [problem, ""] : []),
    "usage: npm run bench -- <name> [options]",
    "       npm run bench -- <name> --help",
    "",
    "benchmarks:",
    ...(benches.length > 0 ? benches.map((b) => `  ${b.name.padEnd(width)}  ${b.description}`) : ["  (none yet)"]),
  ].join("\n");
}

async function run(argv: string[]): Promise<number> {
  const benches = await available();
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    console.log(usage(benches));
    return name === undefined ? 2 : 0;
  }
  if (!benches.some((b) => b.name === name)) {
    console.error(usage(benches, `unknown benchmark: ${JSON.stringify(name)}`));
    return 2;
  }
  const mod = (await import(pathToFileURL(join(benchDir, `${name}.ts`)).href)) as {
    main?: (args: string[]) => Promise<number | void>;
  };
  if (typeof mod.main !== "function") {
    console.error(`bench/${name}.ts exports no main(args) function`);
    return 2;
  }
  return (await mod.main(rest)) ?? 0;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (err) {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
}
