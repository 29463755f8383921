/** The same agents query against one site directly, against 3 and 10 sites at once from the client itself, and through the edge's stitched schema: p50/p99 and req/s as ratios. */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pidListeningOn, processCpuMs } from "./lib/cpu.ts";
import { startAll, startRun } from "./lib/harness.ts";
import { runLoad, runLoop, runTasks, type LoadStats } from "./lib/load.ts";
import { numberOption as num, readOptions } from "./lib/options.ts";
import { writeProfiles } from "./lib/profile.ts";
import { reportScenarios, type Goal, type Scenario } from "./lib/graphql-report.ts";
import { fixed, machine, round, writeResult } from "./lib/report.ts";
import { freePort, startLocalWorker, type BindingValue, type LocalWorker } from "./lib/workers.ts";

/**
 * The issue's goals, read with one client (nothing queued): through the edge at 1 site,
 * p50 at most 1.3 × the direct query's; at 3 sites, at most 1.3 × the p50 of the same
 * fan-out without a gateway (the client sends the direct query to each site at once and
 * waits for the slowest).
 */
const GOALS: readonly Goal[] = [
  { sites: 1, against: "direct", maxP50Ratio: 1.3 },
  { sites: 3, against: "fan-out", maxP50Ratio: 1.3 },
];

const root = join(import.meta.dirname, "..");
/** The query every scenario sends: a page of agents with their state, skills and expected availability. */
export const AGENTS_QUERY = "query Agents { agents(first: 100) { id siteId state skills { name level } expectedAvailableAt } }";
const NAMED_SITES = ["paris", "austin", "manila"];
const SKILLS = ["appliance_repair", "billing", "orders", "returns", "warranty"];

const HELP = `usage: npm run bench -- graphql [options]

Starts the largest number of sites asked for (each a site Worker, wrangler.toml env
paris with its own SITE_ID) and one edge Worker per site count, each reaching its
first N sites over loopback HTTP (SITE_URLS), all in local workerd. Every site gets
the same roster. The edge signs the viewer it asks a site for with a membership key
made for the run, as deployed, so the sites answer it the staff view that the
direct query's admin token gets. Then, for each number of concurrent clients, with the same client,
POSTs

  ${AGENTS_QUERY}

to the first site's /graphql (direct: one site's agents); to each of the first N
sites at once, the client itself waiting for the slowest (fan-out: the same work
without a gateway, for each N above 1); to each edge's /graphql (stitched: every
site's agents, merged by id); then to the first site again. "× direct" is against
the mean of the two direct runs at the same concurrency, "× fan-out" against the
fan-out to as many sites (the direct query for 1 site). One client gives latency
unloaded (the goals are read there); more give throughput. Last, GET /healthz of a
site and an edge, one client: what any request costs a Worker here. CPU per query is each
workerd process's (Linux /proc). wrangler's local trace collector is off
(X_LOCAL_OBSERVABILITY=false unless set): it costs every request and subrequest
more CPU than most of what is measured. Result: bench/results/graphql.json.

options:
  --sites LIST      site counts for the edge, comma-separated (default 1,3,10;
                    1 shows what the edge itself costs)
  --concurrency L   numbers of concurrent clients, comma-separated (default 1,10)
  --duration S      measured seconds per scenario (default 4)
  --warmup S        warm-up seconds per scenario, not measured (default 1)
  --agents N        agents in each site's roster (default 20)
  --profile DIR     after the measurements, V8 CPU profiles (one client, --duration
                    each) of the first site under the direct query and of each edge,
                    written to DIR as .cpuprofile (Chrome DevTools opens them) and
                    summed up by module and function; the inspector is opened on
                    those Workers for the whole run
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
  profileDir: string | null;
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
      profile: { type: "string" },
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
    profileDir: values.profile ?? null,
  };
}

const siteIdOf = (i: number) => NAMED_SITES[i] ?? `site${String(i + 1).padStart(2, "0")}`;

export async function main(args: string[]): Promise<number> {
  const parsed = readOptions("graphql", HELP, () => parseOptions(args));
  if (typeof parsed === "number") return parsed;
  // wrangler dev's local trace collector (a tail stream into a SQLite Durable Object for every request and subrequest)
  // costs each workerd about half its CPU here, and more per hop than per query: no deployed Worker pays it.
  process.env.X_LOCAL_OBSERVABILITY ??= "false";
  const options = parsed;
  const maxSites = Math.max(...options.sites);
  // Each Worker's dev environment adds a process "exit" listener: many sites would trip Node's leak warning.
  process.setMaxListeners(Math.max(process.getMaxListeners(), (maxSites + options.sites.length) * 2 + 10));
  const started = performance.now();
  const since = () => `${fixed((performance.now() - started) / 1000)} s`;
  const secret = (bytes: number) => randomBytes(bytes).toString("hex");
  // The membership key pair, as a deployment has it: the edge signs the viewer it asks each site for, the sites verify it.
  const membershipKey = generateKeyPairSync("ed25519");
  const publicJwk = JSON.stringify(membershipKey.publicKey.export({ format: "jwk" }));
  const secrets = {
    MESH_ADMIN_TOKEN: secret(24),
    EDGE_JWT_SECRET: secret(32),
    EDGE_MEMBERSHIP_KEY: JSON.stringify(membershipKey.privateKey.export({ format: "jwk" })),
    EDGE_MEMBERSHIP_PUBLIC_KEY: publicJwk,
  };
  const run = startRun({
    name: "graphql",
    // Per concurrency: two direct runs, and an edge and a fan-out per site count; two request floors; the profiles, if asked.
    budgetMs:
      240_000 +
      (options.concurrency.length * (2 * options.sites.length + 2) + 2 + (options.profileDir ? options.sites.length + 1 : 0)) *
        (options.warmupMs + options.durationMs + 5_000),
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
            ...secretBindings({
              MESH_ADMIN_TOKEN: secrets.MESH_ADMIN_TOKEN,
              SITE_JWT_SECRET: secret(32),
              PEER_SECRET: secret(24),
              EDGE_MEMBERSHIP_PUBLIC_KEY: publicJwk,
            }),
            SITE_ID: { type: "plain_text", value: siteId },
            HEARTBEAT_TIMEOUT_MS: { type: "plain_text", value: "600000" },
          },
          persist: join(state, siteId),
          readyPath: "/healthz",
          direct: options.direct,
          inspector: options.profileDir !== null && siteId === siteIds[0],
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
          inspector: options.profileDir !== null,
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
    const sample = (edgePid: number | null, siteCount: number) => async () => ({
      edge: edgePid === null ? null : await processCpuMs(edgePid),
      sites: await cpuOf(sitePids.slice(0, siteCount)),
    });
    const done = (name: string, kind: Scenario["kind"], concurrency: number, siteCount: number, agentsPerAnswer: number, stats: LoadStats, edgePid: number | null): Scenario => {
      if (stats.errors > 0) throw new Error(`${name}: ${stats.errors} bad answers, e.g. ${stats.errorSamples[0]}`);
      const perQuery = (ms: number | null | undefined) => (ms === null || ms === undefined || stats.requests === 0 ? null : ms / stats.requests);
      const cpu = { edgeMs: edgePid === null ? null : perQuery(stats.sampled.edge), sitesMs: perQuery(stats.sampled.sites) };
      console.log(
        `  ${name.padEnd(22)} ${fixed(stats.rps, 0).padStart(6)} req/s  p50 ${fixed(stats.p50Ms)} ms  p99 ${fixed(stats.p99Ms)} ms` +
          `  CPU/query: ${cpu.edgeMs === null ? "" : `edge ${fixed(cpu.edgeMs, 2)} ms, `}sites ${cpu.sitesMs === null ? "?" : fixed(cpu.sitesMs, 2)} ms`,
      );
      return { name, kind, concurrency, sites: siteCount, stats, agentsPerAnswer, cpu };
    };
    const load = (target: LocalWorker, concurrency: number, sampled: () => Promise<Record<string, number | null>>) =>
      runLoad({ concurrency, warmupMs: options.warmupMs, durationMs: options.durationMs, next: () => call(target), okStatuses: [200], sample: sampled });
    const measure = async (name: string, kind: "direct" | "edge", target: LocalWorker, siteCount: number, edgePid: number | null, concurrency: number): Promise<Scenario> => {
      const agentsPerAnswer = await probe(target, Math.min(100, options.agents * siteCount));
      return done(name, kind, concurrency, siteCount, agentsPerAnswer, await load(target, concurrency, sample(edgePid, siteCount)), edgePid);
    };
    // The same fan-out as the gateway's, made by the client: every site's direct query at once, timed until the slowest answers.
    const measureFanOut = async (siteCount: number, concurrency: number): Promise<Scenario> => {
      const targets = sites.slice(0, siteCount);
      for (const t of targets) await probe(t, options.agents);
      const stats = await runLoop({
        concurrency,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        sample: sample(null, siteCount),
        iteration: async () => {
          const answers = await Promise.all(
            targets.map(async (t) => {
              const { url, init } = call(t);
              const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
              await res.text();
              return res.status;
            }),
          );
          const bad = answers.find((status) => status !== 200);
          return bad === undefined ? { status: "200", ok: true } : { status: String(bad), ok: false, sample: `a site answered ${bad}` };
        },
      });
      return done(`fan-out, ${siteCount} sites`, "fan-out", concurrency, siteCount, options.agents * siteCount, stats, null);
    };

    const scenarios: Scenario[] = [];
    for (const c of options.concurrency) {
      console.log(`${c} client${c === 1 ? "" : "s"}:`);
      scenarios.push(await measure("direct (before)", "direct", sites[0], 1, null, c));
      for (const [i, n] of options.sites.entries()) {
        if (n > 1) scenarios.push(await measureFanOut(n, c));
        scenarios.push(await measure(`edge, ${n} sites`, "edge", edges[i], n, edgePids[i], c));
      }
      scenarios.push(await measure("direct (after)", "direct", sites[0], 1, null, c));
    }

    // What any request costs a Worker here before its own code (workerd's HTTP, wrangler dev's entry Worker and
    // middleware): GET /healthz, one client. A query through the edge pays it twice, a direct query once.
    const floorOf = async (label: string, w: LocalWorker, pid: number | null) => {
      const stats = await runLoad({
        concurrency: 1,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        next: () => ({ url: new URL("/healthz", w.url), init: {} }),
        okStatuses: [200],
        sample: async () => ({ cpu: pid === null ? null : await processCpuMs(pid) }),
      });
      const cpuMs = stats.sampled.cpu === null || stats.requests === 0 ? null : stats.sampled.cpu / stats.requests;
      console.log(`  ${label.padEnd(22)} GET /healthz: p50 ${fixed(stats.p50Ms)} ms, CPU ${cpuMs === null ? "?" : fixed(cpuMs, 2)} ms/request`);
      return { p50Ms: round(stats.p50Ms), cpuMs: cpuMs === null ? null : round(cpuMs) };
    };
    console.log("request floor:");
    const floor = { site: await floorOf("site", sites[0], sitePids[0]), edge: await floorOf("edge", edges[0], edgePids[0]) };

    // ---- report ----------------------------------------------------------------------------------
    const report = reportScenarios(scenarios, options.concurrency, GOALS);
    // CPU profiles, after everything is measured (the profiler slows a Worker down): one client, the same query.
    if (options.profileDir) {
      const targets = [{ name: "site-direct", worker: sites[0] }, ...edges.map((w, i) => ({ name: `edge-${options.sites[i]}-sites`, worker: w }))];
      await writeProfiles(options.profileDir, targets, (w) => load(w, 1, async () => ({})));
    }
    const file = await writeResult("graphql", {
      at: new Date().toISOString(),
      machine: machine(),
      options,
      query: AGENTS_QUERY,
      ...report,
      floor,
      wallSeconds: round((performance.now() - started) / 1000, 1),
    });
    console.log(`result: ${file} (${since()})`);
    return 0;
  } finally {
    await run.finish();
  }
}
