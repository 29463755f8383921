/** The soak's report in words, as `npm run soak` prints it and the README keeps it. */
import { warmUpMs, type SoakReport } from "./soak.ts";

/** After warm-up, a process that lived through the whole soak may grow this much at most. */
export const MEMORY_GROWTH_LIMIT = 0.1;

const mb = (b: number | null) => (b === null ? "—" : `${(b / 1024 / 1024).toFixed(0)} MB`);
const s = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(2)} s`);

export function describeReport(r: SoakReport): string {
  const f = r.figures;
  const lines = [
    `soak: ${r.options.minutes} min, ${r.options.ratePerMinute} callbacks/min over 3 providers, a fault every ${r.options.faultEveryMinutes} min, seed ${r.options.seed}`,
    `  accepted            ${f.accepted}`,
    `  fired               ${f.fired}   lateness p50 ${s(f.latenessP50Ms)}, p99 ${s(f.latenessP99Ms)} (first dial against the time planned)`,
    `  moved with a reason ${f.movedWithReason}   ended with a reason (failed, expired) ${f.endedWithReason}   still waiting in their window ${f.waiting}`,
    `  lost                ${f.lost}`,
    `  dialed twice        ${f.dialedTwice}`,
    `  other violations    ${f.otherViolations}`,
    `  intake answers      ${r.answers.created} created, ${r.answers.refused4xx} 4xx, ${r.answers.server5xx} 5xx, ${r.answers.unanswered} unanswered`,
    `  faults              ${r.faults.length}: ${Object.entries(r.faults.reduce<Record<string, number>>((m, x) => ({ ...m, [x.name]: (m[x.name] ?? 0) + 1 }), {})).map(([k, v]) => `${v}× ${k}`).join("; ") || "none"}`,
    `  memory (after ${warmUpMs(r.options.minutes) / 60_000} min of warm-up → end):`,
    ...r.memory.map((m) => `    ${m.process.padEnd(26)} ${mb(m.warmBytes)} → ${mb(m.endBytes)}${m.same ? growth(m) : " (restarted by a fault meanwhile)"}`),
    ...r.broken.slice(0, 20).map((v) => `  ! ${v.kind} ${v.subject}: ${v.detail}`),
  ];
  return lines.join("\n");
}

function growth(m: SoakReport["memory"][number]): string {
  if (m.warmBytes === null || m.endBytes === null) return "";
  const g = m.endBytes / m.warmBytes - 1;
  return ` (${g >= 0 ? "+" : ""}${(g * 100).toFixed(1)}%)`;
}

