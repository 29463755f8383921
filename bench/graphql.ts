/** The same agents query against one site directly and through the edge's stitched schema for 3 and 10 sites: p50/p99 and req/s as ratios to the direct query. */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pidListeningOn, processCpuMs } from "./lib/cpu.ts";
import { startAll, startRun } from "./lib/harness.ts";
import { runLoad, runTasks, type LoadStats } from "./lib/load.ts";
import { numberOption as num, readOptions } from "./lib/options.ts";
import { fixed, machine, round, table, writeResult } from "./lib/report.ts";
import { freePort, startLocalWorker, type BindingValue, type LocalWorker } from "./lib/workers.ts";

/** The issue's goal: through the edge, p50 at most 1.5 × the direct query's, at 3 sites. */
const GOAL = { maxP50Ratio: 1.5, atSites: 3 } as const;

const root = join(import.meta.dirname, "..");
/** The query every scenario sends: a page of agents with their state, skills and expected availability. */
export const AGENTS_QUERY = "query Agents { agents(first: 100) { id siteId state skills { name level } expectedAvailableAt } }";
const NAMED_SITES = ["paris", "austin", "manila"];
const SKILLS = ["appliance_repair", "billing", "orders", "returns", "warranty"];

const HELP = `usage: npm run bench -- graphql [options]

Starts the largest number of sites asked for (each a site Worker, wrangler.toml env
paris with its own SITE_ID) and one edge Worker per site count, each reaching its
first N sites over loopback HTTP (SITE_URLS), all in local workerd. Every site gets
the same roster. Then, for each number of concurrent clients, with the same client,
POSTs

  ${AGENTS_QUERY}

to the first site's /graphql (direct: one site's agents), and to each edge's
/graphql (stitched: every site's agents, merged by id), then to the site again.
Ratios are against the mean of the two direct runs at the same concurrency. One
client gives latency unloaded (the goal is read there); more give throughput.
CPU per query is each workerd process's (Linux /proc). Result: bench/results/graphql.json.

options:
  --sites LIST      site counts for the edge, comma-separated (default 1,3,10;
                    1 shows what the edge itself costs)
  --concurrency L   numbers of concurrent clients, comma-separated (default 1,10)
  --duration S      measured seconds per scenario (default 4)
  --warmup S        warm-up seconds per scenario, not measured (default 1)
  --agents N        agents in each site's roster (default 20)
  --via-proxy       go through wrangler's dev proxy Worker (an extra workerd hop per
                    request) instead of straight to each Worker's own socket
  -h, --help        this text`;

interface Options {
  sites: number[];
  concurrency: number[];
  durationMs: number;
  warmupMs: number;
  agents: number;
  direct: boolean;
}

function parseOptions(args: string[]): Options | "help" {
  const { values } = parseArgs({
    args,
    options: {
      sites: { type: "string", default: "1,3,10" },
      concurrency: { type: "string", default: "1,10" },
      duration: { type: "string", default: "4" },
      warmup: { type: "string", default: "1" },
      agents: { type: "string", default: "20" },
      "via-proxy": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  const sites = [...new Set(values.sites.split(",").map((s) => num("sites", s.trim(), 1, 20, true)))].sort((a, b) => a - b);
  return {
    sites,
    concurrency: [...new Set(values.concurrency.split(",").map((c) => num("concurrency", c.trim(), 1, 200, true)))].sort((a, b) => a - b),
    durationMs: num("duration", values.duration, 0.1, 60, false) * 1000,
    warmupMs: num("warmup", values.warmup, 0, 30, false) * 1000,
    agents: num("agents", values.agents, 1, 100, true),
    direct: !values["via-proxy"],
  };
}

const siteIdOf = (i: number) => NAMED_SITES[i] ?? `site${String(i + 1).padStart(2, "0")}`;

interface Scenario {
  name: string;
  concurrency: number;
  sites: number;
  stats: LoadStats;
  agentsPerAnswer: number;
  /** workerd CPU ms per query: the edge's, and all the sites' together (null where /proc cannot tell). */
  cpu: { edgeMs: number | null; sitesMs: number | null };
}

export async function main(args: string[]): Promise<number> {
  const parsed = readOptions("graphql", HELP, () => parseOptions(args));
  if (typeof parsed === "number") return parsed;
  const options = parsed;
  const maxSites = Math.max(...options.sites);
  // Each Worker's dev environment adds a process "exit" listener: many sites would trip Node's leak warning.
  process.setMaxListeners(Math.max(process.getMaxListeners(), (maxSites + options.sites.length) * 2 + 10));
  const started = performance.now();
  const since = () => `${fixed((performance.now() - started) / 1000)} s`;
  const secret = (bytes: number) => randomBytes(bytes).toString("hex");
  const secrets = { MESH_ADMIN_TOKEN: secret(24), CLOUD_SECRET: secret(24), EDGE_JWT_SECRET: secret(32) };
  const run = startRun({
    name: "graphql",
    budgetMs: 240_000 + options.concurrency.length * (options.sites.length + 2) * (options.warmupMs + options.durationMs + 5_000),
    stopping: "the Workers",
  });
  const secretBindings = (values: Record<string, string>): Record<string, BindingValue> =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { type: "secret_text" as const, value: v }]));
  const keep = (w: LocalWorker) => run.track(() => w.dispose());

  try {
    const state = await run.tempDir();
    console.log(
      `graphql bench: ${maxSites} sites of ${options.agents} agents, edges over ${options.sites.join(" and ")} sites, ` +
        `${options.concurrency.join(" and ")} clients, ${fixed(options.warmupMs / 1000)} s warm-up + ${fixed(options.durationMs / 1000)} s per scenario`,
    );

    // ---- Workers: the sites, then one edge per site count --------------------------------------
    const siteIds = Array.from({ length: maxSites }, (_, i) => siteIdOf(i));
    const sites = await startAll(
      siteIds.map((siteId) =>
        startLocalWorker({
          label: `site Worker (${siteId})`,
          config: join(root, "wrangler.toml"),
          env: "paris",
          bindings: {
            ...secretBindings({ MESH_ADMIN_TOKEN: secrets.MESH_ADMIN_TOKEN, CLOUD_SECRET: secrets.CLOUD_SECRET, SITE_JWT_SECRET: secret(32), PEER_SECRET: secret(24) }),
            SITE_ID: { type: "plain_text", value: siteId },
            HEARTBEAT_TIMEOUT_MS: { type: "plain_text", value: "600000" },
          },
          persist: join(state, siteId),
          readyPath: "/healthz",
          direct: options.direct,
        }),
      ),
      keep,
    );
    const edges = await startAll(
      options.sites.map(async (n) => {
        const port = await freePort();
        return startLocalWorker({
          label: `edge Worker (${n} sites)`,
          config: join(root, "wrangler.toml"),
          env: "edge",
          port,
          bindings: {
            ...secretBindings(secrets),
            SITE_URLS: { type: "plain_text", value: JSON.stringify(Object.fromEntries(siteIds.slice(0, n).map((id, i) => [id, sites[i].url.origin]))) },
            PUBLIC_URL: { type: "plain_text", value: `http://127.0.0.1:${port}` },
          },
          persist: join(state, `edge-${n}`),
          readyPath: "/healthz",
          direct: options.direct,
        });
      }),
      keep,
    );
    console.log(`workers up in ${since()}: ${sites.length} sites, ${edges.length} edges`);

    // ---- the same roster at every site -----------------------------------------------------------
    const admin = { authorization: `Bearer ${secrets.MESH_ADMIN_TOKEN}`, "content-type": "application/json" };
    const seed: { site: LocalWorker; i: number }[] = sites.flatMap((site) => Array.from({ length: options.agents }, (_, i) => ({ site, i })));
    await runTasks(seed, 8, async ({ site, i }) => {
      const id = `agent-${String(i).padStart(3, "0")}`;
      const put = await fetch(new URL(`/v1/agents/${id}`, site.url), {
        method: "PUT",
        headers: admin,
        body: JSON.stringify({
          name: `Agent ${i}`,
          skills: { [SKILLS[i % SKILLS.length]]: 1 + (i % 5), [SKILLS[(i + 1) % SKILLS.length]]: 2 },
          channels: ["voice", "sms"],
          languages: ["en"],
          exposure: "federated",
        }),
      });
      if (put.status !== 201 && put.status !== 200) throw new Error(`seeding ${site.label}: ${put.status} ${await put.text()}`);
      if (i % 2 === 0) {
        const status = await fetch(new URL(`/v1/agents/${id}/status`, site.url), { method: "POST", headers: admin, body: JSON.stringify({ state: "available" }) });
        if (status.status !== 200) throw new Error(`status at ${site.label}: ${status.status} ${await status.text()}`);
      }
    });
    console.log(`rosters seeded in ${since()}`);

    const query = JSON.stringify({ query: AGENTS_QUERY });
    const call = (target: LocalWorker) => ({
      url: new URL("/graphql", target.url),
      init: { method: "POST", headers: { ...admin, accept: "application/graphql-response+json" }, body: query },
    });
    // One answer of each target, checked before it is measured: every site's agents and no errors.
    const probe = async (target: LocalWorker, expected: number): Promise<number> => {
      const res = await fetch(call(target).url, call(target).init);
      const body = (await res.json()) as { data?: { agents: unknown[] }; errors?: unknown[] };
      if (res.status !== 200 || body.errors || body.data?.agents.length !== expected) {
        throw new Error(`${target.label} answered ${res.status} ${JSON.stringify(body).slice(0, 400)} (expected ${expected} agents)`);
      }
      return expected;
    };
    // CPU of each Worker's workerd process, to charge a query what it costs where (Linux only).
    const pidOf = async (w: LocalWorker) => (w.innerUrl ? pidListeningOn(Number(w.innerUrl.port)) : null);
    const sitePids = await Promise.all(sites.map(pidOf));
    const edgePids = await Promise.all(edges.map(pidOf));
    const cpuOf = async (pids: (number | null)[]) => {
      const times = await Promise.all(pids.map((pid) => (pid === null ? null : processCpuMs(pid))));
      return times.some((t) => t === null) ? null : (times as number[]).reduce((a, b) => a + b, 0);
    };
    const measure = async (name: string, target: LocalWorker, siteCount: number, edgePid: number | null, concurrency: number): Promise<Scenario> => {
      const agentsPerAnswer = await probe(target, Math.min(100, options.agents * siteCount));
      const stats = await runLoad({
        concurrency,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        next: () => call(target),
        okStatuses: [200],
        sample: async () => ({ edge: edgePid === null ? null : await processCpuMs(edgePid), sites: await cpuOf(sitePids.slice(0, siteCount)) }),
      });
      if (stats.errors > 0) throw new Error(`${name}: ${stats.errors} bad answers, e.g. ${stats.errorSamples[0]}`);
      const perQuery = (ms: number | null | undefined) => (ms === null || ms === undefined || stats.requests === 0 ? null : ms / stats.requests);
      const cpu = { edgeMs: edgePid === null ? null : perQuery(stats.sampled.edge), sitesMs: perQuery(stats.sampled.sites) };
      console.log(
        `  ${name.padEnd(22)} ${fixed(stats.rps, 0).padStart(6)} req/s  p50 ${fixed(stats.p50Ms)} ms  p99 ${fixed(stats.p99Ms)} ms` +
          `  CPU/query: ${cpu.edgeMs === null ? "" : `edge ${fixed(cpu.edgeMs, 2)} ms, `}sites ${cpu.sitesMs === null ? "?" : fixed(cpu.sitesMs, 2)} ms`,
      );
      return { name, concurrency, sites: siteCount, stats, agentsPerAnswer, cpu };
    };

    const scenarios: Scenario[] = [];
    for (const c of options.concurrency) {
      console.log(`${c} client${c === 1 ? "" : "s"}:`);
      scenarios.push(await measure("direct (before)", sites[0], 1, null, c));
      for (const [i, n] of options.sites.entries()) scenarios.push(await measure(`edge, ${n} sites`, edges[i], n, edgePids[i], c));
      scenarios.push(await measure("direct (after)", sites[0], 1, null, c));
    }

    // ---- report ----------------------------------------------------------------------------------
    const baseOf = (c: number) => {
      const direct = scenarios.filter((s) => s.concurrency === c && s.name.startsWith("direct"));
      const mean = (f: (s: Scenario) => number) => direct.reduce((n, s) => n + f(s), 0) / direct.length;
      return { rps: mean((s) => s.stats.rps), p50Ms: mean((s) => s.stats.p50Ms), p99Ms: mean((s) => s.stats.p99Ms) };
    };
    const ratios = (s: Scenario) => {
      const base = baseOf(s.concurrency);
      return { p50: s.stats.p50Ms / base.p50Ms, p99: s.stats.p99Ms / base.p99Ms, rps: s.stats.rps / base.rps };
    };
    const rows = scenarios.map((s) => [
      String(s.concurrency),
      s.name,
      String(s.agentsPerAnswer),
      fixed(s.stats.rps, 0),
      fixed(s.stats.p50Ms),
      fixed(s.stats.p99Ms),
      `${fixed(ratios(s).p50, 2)}×`,
      `${fixed(ratios(s).p99, 2)}×`,
      `${fixed(ratios(s).rps, 2)}×`,
      s.cpu.edgeMs === null ? "—" : fixed(s.cpu.edgeMs, 2),
      s.cpu.sitesMs === null ? "—" : fixed(s.cpu.sitesMs, 2),
    ]);
    console.log(
      `\n${table(["clients", "scenario", "agents", "req/s", "p50 ms", "p99 ms", "p50 × direct", "p99 × direct", "req/s × direct", "edge CPU ms", "sites CPU ms"], rows)}`,
    );
    // The goal is about latency: read at the lowest concurrency (one client: nothing queued).
    const goalEdge = scenarios.find((s) => s.concurrency === options.concurrency[0] && s.name === `edge, ${GOAL.atSites} sites`);
    const goalRatio = goalEdge ? ratios(goalEdge).p50 : null;
    const met = goalRatio !== null && goalRatio <= GOAL.maxP50Ratio;
    if (goalRatio !== null) {
      console.log(
        `\ngoal: p50 through the edge at ${GOAL.atSites} sites ≤ ${GOAL.maxP50Ratio}× direct (${options.concurrency[0]} client${options.concurrency[0] === 1 ? "" : "s"}) — ${fixed(goalRatio, 2)}×: ${met ? "met" : "MISSED"}`,
      );
    }
    const file = await writeResult("graphql", {
      at: new Date().toISOString(),
      machine: machine(),
      options,
      query: AGENTS_QUERY,
      baselines: Object.fromEntries(options.concurrency.map((c) => [c, Object.fromEntries(Object.entries(baseOf(c)).map(([k, v]) => [k, round(v)]))])),
      scenarios: scenarios.map((s) => ({
        name: s.name,
        concurrency: s.concurrency,
        sites: s.sites,
        agentsPerAnswer: s.agentsPerAnswer,
        rps: round(s.stats.rps),
        p50Ms: round(s.stats.p50Ms),
        p90Ms: round(s.stats.p90Ms),
        p99Ms: round(s.stats.p99Ms),
        requests: s.stats.requests,
        ratios: Object.fromEntries(Object.entries(ratios(s)).map(([k, v]) => [k, round(v)])),
        cpuPerQueryMs: { edge: s.cpu.edgeMs === null ? null : round(s.cpu.edgeMs), sites: s.cpu.sitesMs === null ? null : round(s.cpu.sitesMs) },
      })),
      goal: { ...GOAL, p50Ratio: goalRatio === null ? null : round(goalRatio), met },
      wallSeconds: round((performance.now() - started) / 1000, 1),
    });
    console.log(`result: ${file} (${since()})`);
    return 0;
  } finally {
    await run.finish();
  }
}
