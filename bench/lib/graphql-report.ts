/**
 * The GraphQL bench's report (bench/graphql.ts): each scenario as ratios to the
 * direct query at the same concurrency (the mean of the runs before and after) and,
 * for the edge, to the same fan-out without a gateway (the client's own fan-out to
 * as many sites; the direct query for one); the table; the goals, read at the lowest
 * concurrency; and what goes into bench/results/graphql.json.
 */
import type { LoadStats } from "./load.ts";
import { fixed, round, table } from "./report.ts";

export interface Scenario {
  name: string;
  kind: "direct" | "fan-out" | "edge";
  concurrency: number;
  sites: number;
  stats: LoadStats;
  agentsPerAnswer: number;
  /** workerd CPU ms per query: the edge's, and all the sites' together (null where /proc cannot tell). */
  cpu: { edgeMs: number | null; sitesMs: number | null };
}

/** p50 through the edge at `sites` sites at most `maxP50Ratio` × the direct query's, or the client's own fan-out's. */
export interface Goal {
  sites: number;
  against: "direct" | "fan-out";
  maxP50Ratio: number;
}

/** Prints the table and the goals; answers the result file's part. */
export function reportScenarios(scenarios: readonly Scenario[], concurrency: readonly number[], goalsAsked: readonly Goal[]) {
  const baseOf = (c: number) => {
    const direct = scenarios.filter((s) => s.concurrency === c && s.kind === "direct");
    const mean = (f: (s: Scenario) => number) => direct.reduce((n, s) => n + f(s), 0) / direct.length;
    return { rps: mean((s) => s.stats.rps), p50Ms: mean((s) => s.stats.p50Ms), p99Ms: mean((s) => s.stats.p99Ms) };
  };
  /** The same work without a gateway: the fan-out to as many sites, or the direct query for one. */
  const fanOutOf = (c: number, n: number) => {
    const f = scenarios.find((s) => s.concurrency === c && s.kind === "fan-out" && s.sites === n);
    return f ? { p50Ms: f.stats.p50Ms, p99Ms: f.stats.p99Ms } : n === 1 ? baseOf(c) : null;
  };
  const ratios = (s: Scenario) => {
    const base = baseOf(s.concurrency);
    const fan = s.kind === "edge" ? fanOutOf(s.concurrency, s.sites) : null;
    return {
      p50: s.stats.p50Ms / base.p50Ms,
      p99: s.stats.p99Ms / base.p99Ms,
      rps: s.stats.rps / base.rps,
      p50FanOut: fan ? s.stats.p50Ms / fan.p50Ms : null,
      p99FanOut: fan ? s.stats.p99Ms / fan.p99Ms : null,
    };
  };
  const times = (r: number | null) => (r === null ? "—" : `${fixed(r, 2)}×`);
  const rows = scenarios.map((s) => {
    const r = ratios(s);
    return [
      String(s.concurrency),
      s.name,
      String(s.agentsPerAnswer),
      fixed(s.stats.rps, 0),
      fixed(s.stats.p50Ms),
      fixed(s.stats.p99Ms),
      times(r.p50),
      times(r.p99),
      times(r.rps),
      times(r.p50FanOut),
      times(r.p99FanOut),
      s.cpu.edgeMs === null ? "—" : fixed(s.cpu.edgeMs, 2),
      s.cpu.sitesMs === null ? "—" : fixed(s.cpu.sitesMs, 2),
    ];
  });
  const header = ["clients", "scenario", "agents", "req/s", "p50 ms", "p99 ms", "p50 × direct", "p99 × direct", "req/s × direct", "p50 × fan-out", "p99 × fan-out"];
  console.log(`\n${table([...header, "edge CPU ms", "sites CPU ms"], rows)}`);
  // The goals are about latency: read at the lowest concurrency (one client: nothing queued).
  const c0 = concurrency[0];
  const goals = goalsAsked.flatMap((g) => {
    const edge = scenarios.find((s) => s.concurrency === c0 && s.kind === "edge" && s.sites === g.sites);
    if (!edge) return [];
    const r = ratios(edge);
    const ratio = g.against === "direct" ? r.p50 : r.p50FanOut;
    if (ratio === null) return [];
    const met = ratio <= g.maxP50Ratio;
    const against = g.against === "direct" ? "the direct query" : `the client's own fan-out to ${g.sites} sites`;
    console.log(
      `goal: p50 through the edge at ${g.sites} site${g.sites === 1 ? "" : "s"} ≤ ${g.maxP50Ratio}× ${against} ` +
        `(${c0} client${c0 === 1 ? "" : "s"}) — ${fixed(ratio, 2)}×: ${met ? "met" : "MISSED"}`,
    );
    return [{ ...g, p50Ratio: round(ratio), met }];
  });
  return {
    baselines: Object.fromEntries(concurrency.map((c) => [c, Object.fromEntries(Object.entries(baseOf(c)).map(([k, v]) => [k, round(v)]))])),
    scenarios: scenarios.map((s) => ({
      name: s.name,
      kind: s.kind,
      concurrency: s.concurrency,
      sites: s.sites,
      agentsPerAnswer: s.agentsPerAnswer,
      rps: round(s.stats.rps),
      p50Ms: round(s.stats.p50Ms),
      p90Ms: round(s.stats.p90Ms),
      p99Ms: round(s.stats.p99Ms),
      requests: s.stats.requests,
      ratios: Object.fromEntries(Object.entries(ratios(s)).map(([k, v]) => [k, v === null ? null : round(v)])),
      cpuPerQueryMs: { edge: s.cpu.edgeMs === null ? null : round(s.cpu.edgeMs), sites: s.cpu.sitesMs === null ? null : round(s.cpu.sitesMs) },
    })),
    goals,
  };
}
