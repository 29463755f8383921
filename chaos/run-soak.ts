/**
 * `npm run soak -- --minutes N [--rate R] [--fault-every M] [--seed S]`: the soak on this
 * machine, its figures printed. Exits 1 when a callback was lost or dialed twice, or (runs
 * of 10 minutes or more) a process that lived through it grew more than 10% after warm-up.
 */
import { parseArgs } from "node:util";
import { describeReport, MEMORY_GROWTH_LIMIT } from "./soak-report.ts";
import { runSoak } from "./soak.ts";

const USAGE = "npm run soak -- --minutes N [--rate CALLBACKS_PER_MINUTE (6)] [--fault-every MINUTES (3; 0: none)] [--seed S (1)]";

function numberOf(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`--${name} takes a number, not "${value}" (${USAGE})\n`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: { minutes: { type: "string" }, rate: { type: "string" }, "fault-every": { type: "string" }, seed: { type: "string" }, help: { type: "boolean" } },
});
if (values.help || values.minutes === undefined) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(values.help ? 0 : 2);
}

const report = await runSoak({
  minutes: numberOf(values.minutes, 5, "minutes"),
  ratePerMinute: numberOf(values.rate, 6, "rate") || 6,
  faultEveryMinutes: numberOf(values["fault-every"], 3, "fault-every"),
  seed: numberOf(values.seed, 1, "seed"),
  edgePort: 12787,
  sitePort: 12801,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${describeReport(report)}\n`);
const grown = report.options.minutes >= 10 && report.memory.some((m) => m.same && m.warmBytes && m.endBytes && m.endBytes / m.warmBytes - 1 > MEMORY_GROWTH_LIMIT);
process.exit(report.figures.lost > 0 || report.figures.dialedTwice > 0 || grown ? 1 : 0);
