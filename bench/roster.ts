/** Status reports/s and reservations/s through the site Worker, as ratios to a bare Durable Object SQLite insert. */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pidListeningOn, processCpuMs, selfCpuMs } from "./lib/cpu.ts";
import { startAll, startRun } from "./lib/harness.ts";
import { runLoad, runTasks, type Call, type LoadStats } from "./lib/load.ts";
import { numberOption as num, readOptions } from "./lib/options.ts";
import { fixed, machine, round, table, saveRun } from "./lib/report.ts";
import { signCloudToken } from "../federation/wire/edge-tokens.ts";
import { membershipKeyPair, startBareInsertWorker, startLocalWorker, type LocalWorker } from "./lib/workers.ts";

/** The goal: at least half the bare insert rate, p99 under 50 ms, at 20 concurrent clients. */
const GOAL = { minRatio: 0.5, maxP99Ms: 50, concurrency: 20 } as const;

const root = join(import.meta.dirname, "..");
const SLOT_MS = 30 * 60_000;
const RESERVATION_MS = 20 * 60_000;
/** A cycle of legal moves of the state machine, starting from `available`. */
const CYCLE = ["busy", "wrap_up", "available"] as const;
type CycleState = (typeof CYCLE)[number];

const HELP = `usage: npm run bench -- roster [options]

Starts the paris site Worker (wrangler.toml, env paris) and a bare Worker + SQLite
Durable Object (bench/bare-insert) in local workerd, then measures with the same
client, path shape and concurrency:
  bare insert       POST /v1/inserts/:key -> one INSERT in one DO      (run before and after)
  status reports    POST /v1/agents/:id/status, agent JWTs, legal moves only (all must be 200)
  reservations      POST /federation/reservations, the edge's token, distinct callbacks (201 or 409)
Ratios are against the mean of the two bare runs. Result: bench/results/roster.json.

options:
  --concurrency N   concurrent clients (default ${GOAL.concurrency})
  --duration S      measured seconds per scenario (default 3)
  --warmup S        warm-up seconds per scenario, not measured (default 1)
  --agents N        agents seeded in the roster (default 200)
  --via-proxy       go through wrangler's dev proxy Worker (an extra workerd hop per
                    request) instead of straight to each Worker's own socket
  -h, --help        this text`;

interface Options {
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  agents: number;
  direct: boolean;
}

function parseOptions(args: string[]): Options | "help" {
  const { values } = parseArgs({
    args,
    options: {
      concurrency: { type: "string", default: String(GOAL.concurrency) },
      duration: { type: "string", default: "3" },
      warmup: { type: "string", default: "1" },
      agents: { type: "string", default: "200" },
      "via-proxy": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  const options = {
    concurrency: num("concurrency", values.concurrency, 1, 1000, true),
    durationMs: num("duration", values.duration, 0.1, 60, false) * 1000,
    warmupMs: num("warmup", values.warmup, 0, 30, false) * 1000,
    agents: num("agents", values.agents, 1, 1000, true),
    direct: !values["via-proxy"],
  };
  // Every client owns its own agents, so that status reports never race (and never 409).
  if (options.agents < options.concurrency) throw new Error("--agents must be at least --concurrency");
  return options;
}

interface Agent {
  id: string;
  ref: string;
  token: string;
  state: CycleState;
}

export async function main(args: string[]): Promise<number> {
  const options = readOptions("roster", HELP, () => parseOptions(args));
  if (typeof options === "number") return options;
  const started = performance.now();
  // Reservations come from the edge: signed with its key for this site, as the callback cloud's are.
  const edgeKeys = membershipKeyPair();
  const cloudToken = await signCloudToken(edgeKeys.EDGE_MEMBERSHIP_KEY, "paris", null, Date.now());
  const secrets = {
    MESH_ADMIN_TOKEN: randomBytes(24).toString("hex"),
    SITE_JWT_SECRET: randomBytes(32).toString("hex"),
    PEER_SECRET: randomBytes(24).toString("hex"),
    EDGE_MEMBERSHIP_PUBLIC_KEY: edgeKeys.EDGE_MEMBERSHIP_PUBLIC_KEY,
  };
  const run = startRun({ name: "roster", budgetMs: 45_000 + 4 * (options.warmupMs + options.durationMs), stopping: "the Workers" });

  try {
    const state = await run.tempDir();
    console.log(
      `roster bench: ${options.concurrency} clients, ${fixed(options.warmupMs / 1000)} s warm-up + ${fixed(options.durationMs / 1000)} s per scenario, ${options.agents} agents`,
    );
    // Both start together; settle both before going on, so a failure of one never leaves the other running.
    const [site, bare] = await startAll(
      [
        startLocalWorker({
          label: "site Worker (paris)",
          config: join(root, "wrangler.toml"),
          env: "paris",
          bindings: {
            ...Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, { type: "secret_text" as const, value: v }])),
            // No agent may time out mid-run: the monitor would make it unreachable (and unreservable).
            HEARTBEAT_TIMEOUT_MS: { type: "plain_text", value: "600000" },
          },
          persist: join(state, "site"),
          readyPath: "/healthz",
          direct: options.direct,
        }),
        startBareInsertWorker(join(state, "bare"), options.direct),
      ],
      (w) => run.track(() => w.dispose()),
    );
    console.log(
      `workers up in ${fixed((performance.now() - started) / 1000)} s, requests go ${site.direct ? "straight to each Worker's workerd socket" : "through wrangler's dev proxy Worker"}`,
    );

    // CPU per request of the workerd serving each Worker (Worker and its Durable Object share it)
    // and of this load generator: steadier than requests/s when the machine is shared.
    const pidOf = async (w: LocalWorker) => (w.innerUrl ? pidListeningOn(Number(w.innerUrl.port)) : null);
    const [sitePid, barePid] = await Promise.all([pidOf(site), pidOf(bare)]);
    const cpuOf = (pid: number | null) => async () => ({
      server: pid === null ? null : await processCpuMs(pid),
      client: selfCpuMs(),
    });
    const load = (next: (client: number) => Call, okStatuses: number[], pid: number | null) =>
      runLoad({
        concurrency: options.concurrency,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        next,
        okStatuses,
        sample: cpuOf(pid),
      });

    const statusBody = (s: CycleState) => JSON.stringify({ state: s });

    // ---- seed: agents with a round-the-clock shift, each with its own token, all available ----
    const seedStart = performance.now();
    const agents = await seed(site.url, secrets.MESH_ADMIN_TOKEN, options.agents, options.concurrency);
    // The bare Worker gets as many requests before its first run as the seeding gave the site.
    await runTasks(agents.flatMap((a) => [a, a, a]), options.concurrency, async (agent, i) => {
      await must(new URL(`/v1/inserts/${agent.id}`, bare.url), post(bare.url, agent.token, statusBody(CYCLE[i % CYCLE.length])).init, [201]);
    });
    console.log(`seeded ${agents.length} agents (and warmed the bare Worker) in ${fixed((performance.now() - seedStart) / 1000)} s`);

    // ---- the scenarios ----
    let bareSeq = 0;
    const bareLoad = () =>
      load(() => {
        const n = bareSeq++;
        const agent = agents[n % agents.length];
        return post(new URL(`/v1/inserts/${agent.id}`, bare.url), agent.token, statusBody(CYCLE[n % CYCLE.length]));
      }, [201], barePid);

    const stage = (name: string) => console.log(`running: ${name}…`);
    stage("bare insert (before)");
    const bareBefore = await bareLoad();

    // Each client owns the agents i ≡ client (mod concurrency), so no two requests race on one agent.
    stage("status reports");
    const owned = Array.from({ length: options.concurrency }, (_, c) => agents.filter((_, i) => i % options.concurrency === c));
    const turn = new Array<number>(options.concurrency).fill(0);
    const status = await load((client) => {
      const mine = owned[client];
      const agent = mine[turn[client]++ % mine.length];
      agent.state = CYCLE[(CYCLE.indexOf(agent.state) + 1) % CYCLE.length];
      return post(new URL(`/v1/agents/${agent.id}/status`, site.url), agent.token, statusBody(agent.state));
    }, [200], sitePid);

    // Request n goes to agent n mod N, in the slot n div N: one callback per agent per slot, all free.
    stage("reservations");
    const runId = randomBytes(4).toString("hex");
    const base = Math.ceil((Date.now() + 2 * 3_600_000) / SLOT_MS) * SLOT_MS;
    const sent = new Array<number>(options.concurrency).fill(0);
    const reservations = await load((client) => {
      const n = sent[client]++ * options.concurrency + client;
      const agent = agents[n % agents.length];
      const startMs = base + Math.floor(n / agents.length) * SLOT_MS;
      const body = {
        callbackId: `cb-${runId}-${n}`,
        agentId: agent.ref,
        skill: "billing",
        channel: "voice",
        start: new Date(startMs).toISOString(),
        end: new Date(startMs + RESERVATION_MS).toISOString(),
      };
      return post(new URL("/federation/reservations", site.url), cloudToken, JSON.stringify(body));
    }, [201, 409], sitePid);

    stage("bare insert (after)");
    const bareAfter = await bareLoad();

    // ---- figures ----
    const bareRps = (bareBefore.rps + bareAfter.rps) / 2;
    const spread = Math.abs(bareBefore.rps - bareAfter.rps) / bareRps;
    const perRequest = (s: LoadStats, key: "server" | "client") => {
      const ms = s.sampled[key];
      return ms === null || ms === undefined || s.requests === 0 ? Number.NaN : ms / s.requests;
    };
    const bareCpu = (perRequest(bareBefore, "server") + perRequest(bareAfter, "server")) / 2;
    const goalOf = (s: LoadStats) => {
      const ratio = s.rps / bareRps;
      // What the ratio would be if the Worker's CPU were all that limits it (it runs on one thread).
      const cpuRatio = bareCpu / perRequest(s, "server");
      return { ratio, cpuRatio, ratioOk: ratio >= GOAL.minRatio, p99Ok: s.p99Ms < GOAL.maxP99Ms };
    };
    const statusGoal = goalOf(status);
    const reservationGoal = goalOf(reservations);
    const answers = (s: LoadStats) =>
      Object.entries(s.statuses)
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join(", ");
    const row = (name: string, s: LoadStats, g: ReturnType<typeof goalOf> | null) => [
      name,
      String(s.requests),
      fixed(s.rps, 0),
      fixed(s.p50Ms, 2),
      fixed(s.p90Ms, 2),
      fixed(s.p99Ms, 2),
      fixed(s.maxMs, 1),
      g ? fixed(g.ratio, 2) : "—",
      fixed(perRequest(s, "server"), 2),
      g ? fixed(g.cpuRatio, 2) : "—",
      fixed(perRequest(s, "client"), 2),
      answers(s),
    ];
    console.log();
    console.log(
      table(
        ["scenario", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "× bare", "cpu ms/req", "× bare cpu", "client ms/req", "answers"],
        [
          row("bare insert (before)", bareBefore, null),
          row("status reports", status, statusGoal),
          row("reservations", reservations, reservationGoal),
          row("bare insert (after)", bareAfter, null),
          ["bare insert (mean)", "", fixed(bareRps, 0), "", "", "", "", "1.00", fixed(bareCpu, 2), "1.00", "", `before/after differ by ${fixed(spread * 100, 0)}%`],
        ],
      ),
    );
    console.log(
      "× bare: req/s over the mean bare req/s. cpu ms/req: CPU time of the Worker's workerd process (Worker + Durable Object)\n" +
        "per request; × bare cpu: bare cpu ms/req over this one, the ratio to expect when that CPU is the limit. client: this process.",
    );
    console.log();
    const verdict = (name: string, s: LoadStats, g: ReturnType<typeof goalOf>) =>
      `  ${name.padEnd(15)} ${fixed(g.ratio, 2)} × bare ${g.ratioOk ? "≥" : "<"} ${GOAL.minRatio} ${g.ratioOk ? "ok  " : "MISS"}   ` +
      `p99 ${fixed(s.p99Ms, 1)} ms ${g.p99Ok ? "<" : "≥"} ${GOAL.maxP99Ms} ms ${g.p99Ok ? "ok" : "MISS"}`;
    console.log(`goal (≥ ${GOAL.minRatio} × bare insert rate, p99 < ${GOAL.maxP99Ms} ms, at ${GOAL.concurrency} clients):`);
    console.log(verdict("status reports", status, statusGoal));
    console.log(verdict("reservations", reservations, reservationGoal));
    if (options.concurrency !== GOAL.concurrency) console.log(`  (this run used ${options.concurrency} clients, not ${GOAL.concurrency})`);
    const created = reservations.statuses["201"] ?? 0;
    const conflicts = reservations.statuses["409"] ?? 0;
    console.log(`reservations: ${created} created (201), ${conflicts} refused (409)`);
    if (spread > 0.25) console.log(`note: the two bare runs differ by ${fixed(spread * 100, 0)}%: the machine is noisy, rerun for steadier ratios`);

    const invalid = [
      ["bare insert (before)", bareBefore],
      ["status reports", status],
      ["reservations", reservations],
      ["bare insert (after)", bareAfter],
    ].filter(([, s]) => (s as LoadStats).errors > 0) as [string, LoadStats][];
    for (const [name, s] of invalid) {
      console.error(`\n${name}: ${s.errors} unexpected answers, e.g.:\n  ${s.errorSamples.join("\n  ")}`);
    }

    const figures = (s: LoadStats, extra: Record<string, unknown> = {}) => ({
      requests: s.requests,
      rps: round(s.rps, 1),
      p50Ms: round(s.p50Ms),
      p90Ms: round(s.p90Ms),
      p99Ms: round(s.p99Ms),
      maxMs: round(s.maxMs),
      meanMs: round(s.meanMs),
      elapsedMs: round(s.elapsedMs, 0),
      serverCpuMsPerRequest: round(perRequest(s, "server"), 3),
      clientCpuMsPerRequest: round(perRequest(s, "client"), 3),
      statuses: s.statuses,
      errors: s.errors,
      ...extra,
    });
    const result = {
      bench: "roster",
      at: new Date().toISOString(),
      machine: machine(),
      settings: {
        concurrency: options.concurrency,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        agents: options.agents,
        target: site.direct ? "workerd socket of each Worker" : "wrangler dev proxy Worker",
        statusAuth: "agent JWT",
        reservationAuth: "edge token (EdDSA, verified once, then cached)",
      },
      goal: GOAL,
      baseline: {
        before: figures(bareBefore),
        after: figures(bareAfter),
        meanRps: round(bareRps, 1),
        meanServerCpuMsPerRequest: round(bareCpu, 3),
        spread: round(spread, 3),
      },
      statusReports: figures(status, {
        ratio: round(statusGoal.ratio, 3),
        cpuRatio: round(statusGoal.cpuRatio, 3),
        ratioOk: statusGoal.ratioOk,
        p99Ok: statusGoal.p99Ok,
      }),
      reservations: figures(reservations, {
        created,
        conflicts,
        ratio: round(reservationGoal.ratio, 3),
        cpuRatio: round(reservationGoal.cpuRatio, 3),
        ratioOk: reservationGoal.ratioOk,
        p99Ok: reservationGoal.p99Ok,
      }),
      goalMet: statusGoal.ratioOk && statusGoal.p99Ok && reservationGoal.ratioOk && reservationGoal.p99Ok,
      runSeconds: 0,
    };
    await saveRun("roster", result, started);
    return invalid.length > 0 ? 1 : 0;
  } finally {
    await run.finish();
  }
}

function post(url: URL, token: string, body: string): Call {
  return {
    url,
    init: {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
    },
  };
}

/** A request that must succeed, for seeding; its JSON answer. */
async function must(url: URL, init: RequestInit, expected: readonly number[]): Promise<Record<string, unknown>> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (!expected.includes(res.status)) {
    throw new Error(`seeding: ${init.method ?? "GET"} ${url.pathname} answered ${res.status}: ${text.slice(0, 500)}`);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

const ROUND_THE_CLOCK = Object.fromEntries(
  ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]),
);

/**
 * Agents as a site has them: skills, channels, a shift (round the clock, so the run
 * does not depend on the hour), logged in and `available`, each with its own JWT.
 */
async function seed(site: URL, adminToken: string, count: number, concurrency: number): Promise<Agent[]> {
  const admin = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  const ids = Array.from({ length: count }, (_, i) => `bench-agent-${String(i).padStart(4, "0")}`);
  const agents: Agent[] = new Array(count);
  await runTasks(ids, concurrency, async (id, i) => {
    const put = await must(
      new URL(`/v1/agents/${id}`, site),
      {
        method: "PUT",
        headers: admin,
        body: JSON.stringify({
          name: `Bench Agent ${i}`,
          skills: { billing: 1 + (i % 5), support: 3 },
          channels: ["voice", "chat"],
          languages: ["en", "fr"],
          capacity: 1,
          exposure: "federated",
          shift: { timezone: "Europe/Paris", weekly: ROUND_THE_CLOCK },
        }),
      },
      [200, 201],
    );
    const issued = await must(
      new URL("/v1/tokens", site),
      { method: "POST", headers: admin, body: JSON.stringify({ role: "agent", agentId: id, ttlSeconds: 3600 }) },
      [201],
    );
    const agent: Agent = { id, ref: String(put.ref), token: String(issued.token), state: "available" };
    await must(
      new URL(`/v1/agents/${id}/status`, site),
      {
        method: "POST",
        headers: { authorization: `Bearer ${agent.token}`, "content-type": "application/json" },
        body: JSON.stringify({ state: "available" }),
      },
      [200],
    );
    agents[i] = agent;
  });
  return agents;
}
