/** Status reads and heartbeats at a site, p99 unloaded and while callers send the costliest GraphQL the limits allow, at and above their budget. */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildSchema, parse } from "graphql";
import { DEFAULT_LIMITS, operationCost } from "../federation/runtime/graphql/limits.ts";
import { DEFAULT_COST_PER_MINUTE } from "../workers/shared/graphql/budget.ts";
import { typeDefs as siteTypeDefs } from "../workers/site/graphql/types.generated.ts";
import { pidListeningOn, processCpuMs } from "./lib/cpu.ts";
import { startRun } from "./lib/harness.ts";
import { runTasks, type Call } from "./lib/load.ts";
import { numberOption as num, readOptions } from "./lib/options.ts";
import { mergeStats, runPaced, type PacedStats, type PacedStream } from "./lib/paced.ts";
import { writeProfiles } from "./lib/profile.ts";
import { fixed, machine, round, table, saveRun } from "./lib/report.ts";
import { startLocalWorker } from "./lib/workers.ts";

/** The issue's goal: status reads' and heartbeats' p99 under abuse within this many times their p99 unloaded. */
const GOAL = { maxP99Ratio: 2 } as const;
const STREAMS = ["status reads", "heartbeats"];
const CALLER_A = "caller A (at its budget)";
const CALLER_B = "caller B (over it)";
const root = join(import.meta.dirname, "..");
const DAY_MS = 86_400_000;

const HELP = `usage: npm run bench -- abuse [options]

Starts the paris site Worker (wrangler.toml, env paris) in local workerd with its
default GraphQL limits and budget, seeds agents, and measures status reads
(GET /v1/agents/:id) and heartbeats (POST /v1/agents/:id/heartbeat), each paced at a
fixed rate (open loop), in slices that alternate, unloaded first and last:
  unloaded   the two streams alone
  abused     the same, while caller A sends the costliest query the limits allow at
             the rate its budget allows, and caller B sends it --over times as often
             (429 past its budget); their pacing runs on across the abused slices
The costliest query: of a few shapes just under the cost limit (fine slots, many long
windows, many short ones, pages of agents), each first measured alone, the one that
takes the site the most CPU. The p99 ratio is over all abused slices against all
unloaded ones: alternating puts whatever else the machine does on both alike.
Result: bench/results/abuse.json.

options:
  --agents N      agents seeded (default 100; availability's work grows with them)
  --rate R        status reads/s, and as many heartbeats/s (default 40)
  --duration S    abused seconds in all (default 120; as many unloaded, and one slice more)
  --rounds N      abused slices (default 2; N + 1 unloaded ones around them). A slice
                  shorter than the budget's minute lets the callers' budgets refill in
                  the unloaded time around it: more costly operations per abused
                  second than callers at their budget send in a steady state
  --over K        caller B's rate as a multiple of the budget's (default 4)
  --budget C      the site's GRAPHQL_COST_PER_MINUTE (default: the Worker's own, ${DEFAULT_COST_PER_MINUTE})
  --profile DIR   after the slices, a V8 CPU profile of the site while it answers the
                  query three times (DIR/site-heaviest.cpuprofile), summed up per query
  -h, --help      this text

wrangler's local trace collector is off (X_LOCAL_OBSERVABILITY=false unless set), as in
the graphql bench: no deployed Worker pays it.`;

interface Options {
  agents: number;
  rate: number;
  durationMs: number;
  over: number;
  rounds: number;
  budget: number | null;
  profileDir: string | null;
}

function parseOptions(args: string[]): Options | "help" {
  const { values } = parseArgs({
    args,
    options: {
      agents: { type: "string", default: "100" },
      rate: { type: "string", default: "40" },
      duration: { type: "string", default: "120" },
      over: { type: "string", default: "4" },
      rounds: { type: "string", default: "2" },
      budget: { type: "string" },
      profile: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  return {
    agents: num("agents", values.agents, 1, 1000),
    rate: num("rate", values.rate, 1, 500, false),
    durationMs: num("duration", values.duration, 5, 600, false) * 1000,
    over: num("over", values.over, 1, 100, false),
    rounds: num("rounds", values.rounds, 1, 20),
    budget: values.budget === undefined ? null : num("budget", values.budget, DEFAULT_LIMITS.maxCost, 100_000_000),
    profileDir: values.profile ?? null,
  };
}

/** One slice of time: each stream's answers, and the site's CPU over it. */
interface Slice {
  stats: PacedStats[];
  cpuMs: number;
  elapsedMs: number;
}

interface Agent {
  id: string;
  token: string;
}

/**
 * Operations just under the cost limit, each costly another way: windows of fine slots,
 * many windows of long slots (the roster's work per call and per day), many short
 * windows, and pages of agents. Each is measured alone; the costliest in CPU is the
 * one the callers send.
 */
function candidates(nowMs: number): { name: string; query: string }[] {
  const from = new Date(Math.ceil(nowMs / 3_600_000) * 3_600_000).toISOString();
  const to = (days: number) => new Date(Date.parse(from) + days * DAY_MS).toISOString();
  const window = (alias: string, days: number, slotMinutes: number) =>
    `${alias}: availability(skill: "${alias.startsWith("s") ? "support" : "billing"}", channel: VOICE, from: "${from}", to: "${to(days)}", slotMinutes: ${slotMinutes}) { start end capacity }`;
  const many = (n: number, make: (i: number) => string) => `{ ${Array.from({ length: n }, (_, i) => make(i)).join(" ")} }`;
  const site = buildSchema(siteTypeDefs);
  const fill = (make: (n: number) => string) => {
    // The most of them that fits under the limit.
    let n = 1;
    while (n < DEFAULT_LIMITS.maxAliases && operationCost(site, parse(make(n + 1)), undefined, undefined).cost <= DEFAULT_LIMITS.maxCost) n++;
    return make(n);
  };
  return [
    { name: "a fortnight in 5-minute slots, and long-slot fortnights", query: fill((n) => `{ ${window("b0", 14, 5)} ${many(n - 1, (i) => window(`s${i}`, 14, 240)).slice(1, -1)} }`) },
    { name: "fortnights in 4-hour slots", query: fill((n) => many(n, (i) => window(i % 2 ? `s${i}` : `b${i}`, 14, 240))) },
    { name: "days in 4-hour slots", query: fill((n) => many(n, (i) => window(i % 2 ? `s${i}` : `b${i}`, 1, 240))) },
    { name: "pages of 100 agents", query: fill((n) => many(n, (i) => `a${i}: agents(first: 100, after: "${"r_".padEnd(i + 3, "0")}") { id state capacity skills { name level } }`)) },
  ];
}

export async function main(args: string[]): Promise<number> {
  const options = readOptions("abuse", HELP, () => parseOptions(args));
  if (typeof options === "number") return options;
  // wrangler dev's trace collector writes every request into a SQLite Durable Object: about half of a workerd's CPU.
  process.env.X_LOCAL_OBSERVABILITY ??= "false";
  const started = performance.now();
  const siteSchema = buildSchema(siteTypeDefs);
  const shapes = candidates(Date.now()).map((c) => ({ ...c, cost: operationCost(siteSchema, parse(c.query), undefined, undefined) }));
  for (const c of shapes) if (c.cost.errors.length > 0) throw new Error(`the bench's query "${c.name}" is not allowed: ${c.cost.errors[0].message}`);
  const budget = options.budget ?? DEFAULT_COST_PER_MINUTE;
  const secrets = {
    MESH_ADMIN_TOKEN: randomBytes(24).toString("hex"),
    SITE_JWT_SECRET: randomBytes(32).toString("hex"),
    PEER_SECRET: randomBytes(24).toString("hex"),
  };
  const run = startRun({ name: "abuse", budgetMs: 180_000 + 3 * options.durationMs, stopping: "the Worker" });

  try {
    const state = await run.tempDir();
    console.log(
      `abuse bench: ${options.agents} agents, ${options.rate} status reads/s + ${options.rate} heartbeats/s, ${fixed(options.durationMs / 1000, 0)} s abused; ` +
        `cost limit ${DEFAULT_LIMITS.maxCost} per operation, budget ${budget} per minute per caller`,
    );
    const site = await startLocalWorker({
      label: "site Worker (paris)",
      config: join(root, "wrangler.toml"),
      env: "paris",
      bindings: {
        ...Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, { type: "secret_text" as const, value: v }])),
        // No agent may time out mid-run: the bench's heartbeats cover a few agents a second, not each of them.
        HEARTBEAT_TIMEOUT_MS: { type: "plain_text", value: "3600000" },
        ...(options.budget === null ? {} : { GRAPHQL_COST_PER_MINUTE: { type: "plain_text" as const, value: String(options.budget) } }),
      },
      persist: join(state, "site"),
      readyPath: "/healthz",
      direct: true,
      inspector: options.profileDir !== null,
    });
    run.track(() => site.dispose());
    const sitePid = site.innerUrl ? await pidListeningOn(Number(site.innerUrl.port)) : null;
    const siteCpu = async () => (sitePid === null ? null : processCpuMs(sitePid));

    const admin = { authorization: `Bearer ${secrets.MESH_ADMIN_TOKEN}`, "content-type": "application/json" };
    const agents = await seed(site.url, admin, options.agents);
    const opsToken = async (name: string) =>
      String((await must(new URL("/v1/tokens", site.url), { method: "POST", headers: admin, body: JSON.stringify({ role: "ops", name, ttlSeconds: 3600 }) }, [201])).token);
    const [tokenA, tokenB] = await Promise.all(["bench-caller-a", "bench-caller-b"].map(opsToken));
    // The probes ask as callers of their own, one per query, so that they never meet a budget whatever --budget says.
    let probes = 0;
    const probeToken = () => opsToken(`probe-${probes++}`);

    const graphql = (token: string, query: string): Call => ({
      url: new URL("/graphql", site.url),
      init: {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/graphql-response+json" },
        body: JSON.stringify({ query }),
      },
    });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const streams = (): PacedStream[] => [
      {
        name: "status reads",
        ratePerSecond: options.rate,
        next: (n) => {
          const agent = agents[n % agents.length];
          return { url: new URL(`/v1/agents/${agent.id}`, site.url), init: { method: "GET", headers: bearer(agent.token) } };
        },
        okStatuses: [200],
      },
      {
        name: "heartbeats",
        ratePerSecond: options.rate,
        // Half a period after the reads, so the two streams interleave.
        offsetMs: 500 / options.rate,
        next: (n) => {
          const agent = agents[(n * 7) % agents.length];
          return { url: new URL(`/v1/agents/${agent.id}/heartbeat`, site.url), init: { method: "POST", headers: bearer(agent.token) } };
        },
        okStatuses: [204],
      },
    ];

    // ---- each candidate alone: its latency and the site's CPU for it; the costliest is the callers' ----
    const once = async (query: string, token: string) => {
      const { url, init } = graphql(token, query);
      await must(url, init, [200]);
    };
    const measured = [];
    for (const shape of shapes) {
      // Tokens first: issuing one is not the operation's CPU.
      const [warm, ...timed] = await Promise.all([0, 1, 2, 3].map(() => probeToken()));
      await once(shape.query, warm); // the first also compiles and warms; not counted
      const latencies: number[] = [];
      const cpu0 = await siteCpu();
      for (const token of timed) {
        const t0 = performance.now();
        await once(shape.query, token);
        latencies.push(performance.now() - t0);
      }
      const cpu1 = await siteCpu();
      measured.push({ ...shape, latencies, cpuMs: cpu0 === null || cpu1 === null ? Number.NaN : (cpu1 - cpu0) / latencies.length });
    }
    console.log();
    console.log(
      table(
        ["operation alone", "cost", "ms", "site CPU ms", "µs per unit"],
        measured.map((m) => [m.name, String(m.cost.cost), m.latencies.map((ms) => fixed(ms, 0)).join(", "), fixed(m.cpuMs, 0), fixed((m.cpuMs * 1000) / m.cost.cost, 1)]),
      ),
    );
    const heaviest = measured.reduce((a, b) => (b.cpuMs > a.cpuMs ? b : a));
    const query = heaviest.query;
    const cost = heaviest.cost;
    const cpuPerQuery = heaviest.cpuMs;
    // A's rate: the budget spent evenly over the minute.
    const allowedPerSecond = budget / cost.cost / 60;
    console.log(`the callers send "${heaviest.name}" (cost ${cost.cost}): A every ${fixed(1 / allowedPerSecond, 1)} s, B ${options.over}× as often\n`);

    // Warm-up: the two streams for a few seconds (JIT, connections), not measured.
    await runPaced(streams(), 3_000);

    // Slices of unloaded and abused time, alternating (unloaded first and last), so that whatever else the machine
    // does falls on both alike. The callers' pacing runs on across their slices: over the abused time as a whole,
    // A sends at exactly its budget's rate.
    const sliceMs = options.durationMs / options.rounds;
    const intervalA = 1000 / allowedPerSecond;
    const intervalB = intervalA / options.over;
    const slice = async (label: string, round: number | null): Promise<Slice> => {
      const cpu0 = await siteCpu();
      const abusedSoFar = (round ?? 0) * sliceMs;
      // The first request of a caller in this slice: where its pacing over the abused time puts it.
      const next = (interval: number, offset: number) => (interval - ((abusedSoFar - offset) % interval)) % interval;
      const extra: PacedStream[] =
        round === null
          ? []
          : [
              { name: CALLER_A, ratePerSecond: allowedPerSecond, offsetMs: next(intervalA, 0), next: () => graphql(tokenA, query), okStatuses: [200] },
              { name: CALLER_B, ratePerSecond: allowedPerSecond * options.over, offsetMs: next(intervalB, 250), next: () => graphql(tokenB, query), okStatuses: [200, 429] },
            ];
      const t0 = performance.now();
      const stats = await runPaced([...streams(), ...extra], sliceMs);
      const elapsedMs = performance.now() - t0;
      const cpu1 = await siteCpu();
      const p99s = stats.slice(0, 2).map((s) => `${s.name} ${fixed(s.p99Ms, 1)}`).join(", ");
      console.log(`  ${label}: p99 ${p99s} ms`);
      return { stats, cpuMs: cpu0 === null || cpu1 === null ? Number.NaN : cpu1 - cpu0, elapsedMs };
    };
    console.log(`running: ${options.rounds + 1} unloaded and ${options.rounds} abused slices of ${fixed(sliceMs / 1000, 0)} s, alternating…`);
    if (sliceMs < 60_000) console.log("  (slices under a minute: the callers' budgets refill between them, so the abused slices hold more than a steady state)");
    const unloadedSlices: Slice[] = [];
    const abusedSlices: Slice[] = [];
    for (let r = 0; r <= options.rounds; r++) {
      unloadedSlices.push(await slice(`unloaded ${r + 1}`, null));
      if (r < options.rounds) abusedSlices.push(await slice(`abused ${r + 1}`, r));
    }

    // ---- figures ----
    const combined = (slices: typeof unloadedSlices, name: string) => mergeStats(name, slices.map((sl) => sl.stats.find((s) => s.name === name) as PacedStats));
    const cpuShare = (slices: typeof unloadedSlices) => slices.reduce((n, sl) => n + sl.cpuMs, 0) / slices.reduce((n, sl) => n + sl.elapsedMs, 0);
    const phases = [
      { name: "unloaded", slices: unloadedSlices, streams: STREAMS.map((n) => combined(unloadedSlices, n)) },
      { name: "abused", slices: abusedSlices, streams: [...STREAMS, CALLER_A, CALLER_B].map((n) => combined(abusedSlices, n)) },
    ];
    const [unloaded, abused] = phases;
    const verdicts = STREAMS.map((name, i) => {
      const ratio = abused.streams[i].p99Ms / unloaded.streams[i].p99Ms;
      return { name, unloadedP99Ms: unloaded.streams[i].p99Ms, abusedP99Ms: abused.streams[i].p99Ms, ratio, ok: ratio <= GOAL.maxP99Ratio };
    });
    const answers = (s: PacedStats) =>
      Object.entries(s.statuses)
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join(", ");
    const rows = phases.flatMap((p) =>
      p.streams.map((s) => {
        const v = p === abused ? verdicts.find((x) => x.name === s.name) : undefined;
        return [p.name, s.name, String(s.requests), fixed(s.p50Ms, 1), fixed(s.p90Ms, 1), fixed(s.p99Ms, 1), fixed(s.maxMs, 0), v ? `${fixed(v.ratio, 2)}×` : "—", answers(s)];
      }),
    );
    console.log();
    console.log(table(["time", "stream", "requests", "p50 ms", "p90 ms", "p99 ms", "max ms", "p99 × unloaded", "answers"], rows));
    console.log(
      `site CPU (share of one core): unloaded ${fixed(cpuShare(unloadedSlices) * 100, 1)}%, abused ${fixed(cpuShare(abusedSlices) * 100, 1)}%; ` +
        `the callers' operation alone ${fixed(cpuPerQuery, 0)} ms of CPU (${fixed((cpuPerQuery * 1000) / cost.cost, 1)} µs per unit of cost)`,
    );
    console.log();
    console.log(`goal (p99 while abused ≤ ${GOAL.maxP99Ratio}× unloaded, each over all its slices):`);
    for (const v of verdicts) {
      console.log(`  ${v.name.padEnd(13)} ${fixed(v.abusedP99Ms, 1)} ms / ${fixed(v.unloadedP99Ms, 1)} ms = ${fixed(v.ratio, 2)}× ${v.ok ? "ok" : "MISS"}`);
    }
    const invalid = phases.flatMap((p) => p.streams.filter((s) => s.errors > 0).map((s) => [`${p.name}: ${s.name}`, s] as const));
    for (const [name, s] of invalid) console.error(`\n${name}: ${s.errors} unexpected answers, e.g.:\n  ${s.errorSamples.join("\n  ")}`);

    const figures = (s: PacedStats) => ({
      requests: s.requests,
      p50Ms: round(s.p50Ms),
      p90Ms: round(s.p90Ms),
      p99Ms: round(s.p99Ms),
      maxMs: round(s.maxMs),
      statuses: s.statuses,
      errors: s.errors,
    });
    if (options.profileDir) {
      const tokens = await Promise.all([0, 1, 2].map(() => probeToken()));
      await writeProfiles(options.profileDir, [{ name: "site-heaviest", worker: site }], async () => {
        for (const token of tokens) await once(query, token);
        return { requests: tokens.length };
      });
    }

    const result = {
      bench: "abuse",
      at: new Date().toISOString(),
      machine: machine(),
      settings: {
        agents: options.agents,
        ratePerSecond: options.rate,
        abusedMs: options.durationMs,
        rounds: options.rounds,
        over: options.over,
        budgetPerMinute: budget,
        query,
        queryCost: cost.cost,
      },
      goal: GOAL,
      alone: measured.map((m) => ({ name: m.name, cost: m.cost.cost, latenciesMs: m.latencies.map((ms) => round(ms)), siteCpuMs: round(m.cpuMs) })),
      callersSend: heaviest.name,
      phases: Object.fromEntries(
        phases.map((p) => [
          p.name,
          {
            siteCpuShare: round(cpuShare(p.slices), 4),
            streams: Object.fromEntries(p.streams.map((s) => [s.name, figures(s)])),
            sliceP99Ms: p.slices.map((sl) => Object.fromEntries(sl.stats.slice(0, 2).map((s) => [s.name, round(s.p99Ms)]))),
          },
        ]),
      ),
      verdicts: verdicts.map((v) => ({ ...v, unloadedP99Ms: round(v.unloadedP99Ms), abusedP99Ms: round(v.abusedP99Ms), ratio: round(v.ratio, 3) })),
      goalMet: verdicts.every((v) => v.ok),
      runSeconds: 0,
    };
    await saveRun("abuse", result, started);
    return invalid.length > 0 ? 1 : 0;
  } finally {
    await run.finish();
  }
}

/** A request that must succeed (seeding, the probe); its JSON answer. */
async function must(url: URL, init: RequestInit, expected: readonly number[]): Promise<Record<string, unknown>> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!expected.includes(res.status)) throw new Error(`${init.method ?? "GET"} ${url.pathname} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const ROUND_THE_CLOCK = Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]));

/** Agents on a round-the-clock shift with two skills (what availability counts), logged in and available, each with its own token. */
async function seed(site: URL, admin: Record<string, string>, count: number): Promise<Agent[]> {
  const agents: Agent[] = new Array(count);
  await runTasks(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const id = `abuse-agent-${String(i).padStart(4, "0")}`;
      await must(
        new URL(`/v1/agents/${id}`, site),
        {
          method: "PUT",
          headers: admin,
          body: JSON.stringify({
            name: `Bench Agent ${i}`,
            skills: { billing: 1 + (i % 5), support: 3 },
            channels: ["voice", "chat"],
            languages: ["en"],
            capacity: 1 + (i % 3),
            exposure: "federated",
            shift: { timezone: "Europe/Paris", weekly: ROUND_THE_CLOCK },
          }),
        },
        [200, 201],
      );
      const issued = await must(new URL("/v1/tokens", site), { method: "POST", headers: admin, body: JSON.stringify({ role: "agent", agentId: id, ttlSeconds: 3600 }) }, [201]);
      const token = String(issued.token);
      await must(
        new URL(`/v1/agents/${id}/status`, site),
        { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ state: "available" }) },
        [200],
      );
      agents[i] = { id, token };
    },
  );
  return agents;
}
