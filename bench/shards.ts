/** A provider's callbacks on 1 and on 4 shards: how evenly 4 shards share them, reservations per second and their delay, and the busiest shard's CPU against one shard's. */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { placeOf } from "../objects/callback-cloud/confirmation.ts";
import { call, registerProvider, requestCallback, seedAgents, SITES, type EdgeCall, type SiteId } from "./lib/edge-client.ts";
import { startAll, startRun } from "./lib/harness.ts";
import { percentile, runTasks } from "./lib/load.ts";
import { numberOption as num, readOptions } from "./lib/options.ts";
import { profileWhile, stackShareMs, summarize } from "./lib/profile.ts";
import { fixed, machine, round, table, writeResult } from "./lib/report.ts";
import { freePort, membershipKeyPair, startLocalWorker, type BindingValue, type LocalWorker } from "./lib/workers.ts";

/** The issue's goals: 4 shards within 10% of even over 10,000 callbacks; the busiest of 4 at most 0.3 × one shard's CPU. */
const GOAL = { spreadCallbacks: 10_000, maxSpread: 0.1, maxBusiestRatio: 0.3 } as const;
const root = join(import.meta.dirname, "..");
const FIXTURE = join(root, "examples", "providers", "acme.json");
const REASON = "my washing machine stopped spinning and the drum is full of water";
/** The shard's own code (objects/callback-cloud and below) as the profile's module map names it. */
const SHARD_CODE = (module: string) => module.startsWith("objects/callback-cloud");

const HELP = `usage: npm run bench -- shards [options]

Starts the edge and the three sites in local workerd, registers two providers from
examples/providers/acme.json (open around the clock), one with 1 callback shard and
one with 4, each with agents of its own (its repair skill renamed; level 3, capacity 20).
Then, for each:

1. N customers each ask for an offer and an asap callback (20 clients). Measured:
   accepted/s; from each callback's history afterwards, the time from its answer
   ("received") to its agent's reservation ("scheduled"), and the reservations and
   plans (reserved, or waiting with a reason) per second over the run.
2. The same for N/2 more with a V8 CPU profile of the edge's workerd: the sampled CPU
   of the shards' code (every stack through objects/callback-cloud). workerd runs
   every object of a Worker on one thread and its profiler cannot tell one object
   from another, so the busiest shard's CPU is the shards' CPU times the busiest
   shard's share of the callbacks (counted by confirmation: its number names its shard).
3. More callbacks for the 4-shard provider, up to --spread in all: the count per shard.

Result: bench/results/shards.json.

options:
  --callbacks N     callbacks per provider in step 1 (default 1000)
  --spread N        callbacks of the 4-shard provider in all (default ${GOAL.spreadCallbacks})
  --concurrency N   concurrent clients (default 20)
  --profile DIR     also write each profiled run's V8 profile to DIR/shards-<n>.cpuprofile
                    and print its costliest functions (self time, per callback)
  --agents N        agents per site and provider, each provider's own (default 60: 3,600
                    units each, so steps 1 and 2 find an agent in the first slot)
  -h, --help        this text`;

interface Options {
  profileDir: string | null;
  callbacks: number;
  spread: number;
  concurrency: number;
  agentsPerSite: number;
}

function parseOptions(args: string[]): Options | "help" {
  const { values } = parseArgs({
    args,
    options: {
      callbacks: { type: "string", default: "1000" },
      spread: { type: "string", default: String(GOAL.spreadCallbacks) },
      concurrency: { type: "string", default: "20" },
      agents: { type: "string", default: "60" },
      profile: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  return {
    profileDir: values.profile ?? null,
    callbacks: num("callbacks", values.callbacks, 10, 20_000),
    spread: num("spread", values.spread, 10, 50_000),
    concurrency: num("concurrency", values.concurrency, 1, 500),
    agentsPerSite: num("agents", values.agents, 1, 300),
  };
}

interface Batch {
  confirmations: string[];
  refused: Record<string, number>;
  elapsedMs: number;
}

/** `count` customers of `providerId`, each asking for an offer and a callback. */
async function customers(edge: EdgeCall, providerId: string, tag: string, count: number, concurrency: number): Promise<Batch> {
  const confirmations: string[] = [];
  const refused: Record<string, number> = {};
  const t0 = performance.now();
  await runTasks(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (n) => {
      const got = await requestCallback(edge, providerId, `${tag}-customer-${n}`, REASON, `${tag}-${n}`);
      if (got.kind === "accepted") confirmations.push(got.confirmation);
      else refused[got.label] = (refused[got.label] ?? 0) + 1;
    },
  );
  return { confirmations, refused, elapsedMs: performance.now() - t0 };
}

interface Reservations {
  /** Callbacks whose history shows a reservation. */
  reserved: number;
  /** Reserved, or waiting with a reason: a plan was made. */
  planned: number;
  reservedPerSecond: number;
  plannedPerSecond: number;
  answerToReservation: { p50Ms: number; p99Ms: number; maxMs: number };
}

/** What each callback's history says about its first plan (read with the admin token). */
async function reservations(edge: EdgeCall, admin: Record<string, string>, confirmations: readonly string[], concurrency: number): Promise<Reservations> {
  const delays: number[] = [];
  let planned = 0;
  let first = Infinity;
  let lastReserved = -Infinity;
  let lastPlanned = -Infinity;
  await runTasks(confirmations, concurrency, async (confirmation) => {
    const res = await edge("GET", `/v1/callbacks/${confirmation}`, undefined, admin);
    if (res.status !== 200) return;
    const history = res.body.history as { type: string; at: string }[];
    const at = (type: string) => {
      const e = history.find((h) => h.type === type);
      return e ? Date.parse(e.at) : null;
    };
    const received = at("received");
    const scheduled = at("scheduled");
    const decided = scheduled ?? at("waiting");
    if (received === null) return;
    first = Math.min(first, received);
    if (decided !== null) {
      planned += 1;
      lastPlanned = Math.max(lastPlanned, decided);
    }
    if (scheduled !== null) {
      delays.push(scheduled - received);
      lastReserved = Math.max(lastReserved, scheduled);
    }
  });
  const sorted = Float64Array.from(delays).sort();
  const per = (n: number, last: number) => (n > 0 && last > first ? n / ((last - first) / 1000) : Number.NaN);
  return {
    reserved: delays.length,
    planned,
    reservedPerSecond: round(per(delays.length, lastReserved), 1),
    plannedPerSecond: round(per(planned, lastPlanned), 1),
    answerToReservation: {
      p50Ms: round(percentile(sorted, 50), 1),
      p99Ms: round(percentile(sorted, 99), 1),
      maxMs: round(sorted.length ? sorted[sorted.length - 1] : Number.NaN, 1),
    },
  };
}

/** Callbacks per shard, from their confirmation numbers. */
function perShard(confirmations: readonly string[], shards: number): number[] {
  const counts = Array.from({ length: shards }, () => 0);
  for (const c of confirmations) counts[placeOf(c).shard] += 1;
  return counts;
}

/**
 * Waits until no callback is still waiting for its first plan, so that one measurement's
 * planning does not bleed into the next (a callback planned for a later slot is done here).
 */
async function settle(edge: EdgeCall, admin: Record<string, string>, confirmations: readonly string[], concurrency: number): Promise<number> {
  let open = [...confirmations];
  for (let round = 0; round < 30 && open.length > 0; round++) {
    if (round > 0) await sleep(1000);
    const still: string[] = [];
    await runTasks(open, concurrency, async (c) => {
      const res = await edge("GET", `/v1/callbacks/${c}`, undefined, admin);
      if (res.status === 200 && res.body.status === "pending") still.push(c);
    });
    open = still;
  }
  return open.length;
}

export async function main(args: string[]): Promise<number> {
  const options = readOptions("shards", HELP, () => parseOptions(args));
  if (typeof options === "number") return options;
  const secret = (bytes: number) => randomBytes(bytes).toString("hex");
  const { EDGE_MEMBERSHIP_KEY, EDGE_MEMBERSHIP_PUBLIC_KEY } = membershipKeyPair();
  const secrets = { MESH_ADMIN_TOKEN: secret(24), EDGE_JWT_SECRET: secret(32), EDGE_MEMBERSHIP_KEY };
  const admin = { authorization: `Bearer ${secrets.MESH_ADMIN_TOKEN}` };
  const run = startRun({ name: "shards", budgetMs: 900_000, stopping: "the Workers" });
  const started = performance.now();
  const since = () => `${fixed((performance.now() - started) / 1000)} s`;
  try {
    const state = await run.tempDir();
    const fixture = JSON.parse(await readFile(FIXTURE, "utf8")) as Record<string, unknown> & { rules: Record<string, unknown> };
    const secretBindings = (values: Record<string, string>): Record<string, BindingValue> =>
      Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { type: "secret_text" as const, value: v }]));
    const keep = (w: LocalWorker) => run.track(() => w.dispose());
    const siteList = await startAll(
      SITES.map((siteId) =>
        startLocalWorker({
          label: `site Worker (${siteId})`,
          config: join(root, "wrangler.toml"),
          env: siteId,
          bindings: {
            ...secretBindings({ MESH_ADMIN_TOKEN: secrets.MESH_ADMIN_TOKEN, EDGE_MEMBERSHIP_PUBLIC_KEY, SITE_JWT_SECRET: secret(32), PEER_SECRET: secret(24) }),
            HEARTBEAT_TIMEOUT_MS: { type: "plain_text", value: "900000" },
          },
          persist: join(state, siteId),
          readyPath: "/healthz",
          direct: true,
        }),
      ),
      keep,
    );
    const sites = Object.fromEntries(SITES.map((id, i) => [id, siteList[i]])) as Record<SiteId, LocalWorker>;
    const edgePort = await freePort();
    const edgeWorker = await startLocalWorker({
      label: "edge Worker",
      config: join(root, "wrangler.toml"),
      env: "edge",
      port: edgePort,
      bindings: {
        ...secretBindings(secrets),
        SITE_URLS: { type: "plain_text", value: JSON.stringify(Object.fromEntries(SITES.map((id) => [id, sites[id].url.origin]))) },
        PUBLIC_URL: { type: "plain_text", value: `http://127.0.0.1:${edgePort}` },
      },
      persist: join(state, "edge"),
      readyPath: "/healthz",
      direct: true,
      inspector: true,
    });
    keep(edgeWorker);
    if (!edgeWorker.inspectorUrl) throw new Error("the edge's workerd gave no inspector: no CPU profile can be taken");
    const inspector = edgeWorker.inspectorUrl;
    const edge: EdgeCall = (method, path, body, headers = {}) => call(new URL(path, edgeWorker.url), method, body, headers);

    const providers = [
      { id: "shards-one", shards: 1 },
      { id: "shards-four", shards: 4 },
    ] as const;
    // Each provider has agents of its own (its repair skill renamed), so neither run meets the other's callbacks at the sites.
    const intents = fixture.intents as { skills: Record<string, number> }[];
    for (const p of providers) {
      const skill = `appliance_repair_${p.shards}`;
      const own = intents.map((i) => ({ ...i, skills: Object.fromEntries(Object.entries(i.skills).map(([k, v]) => [k === "appliance_repair" ? skill : k, v])) }));
      await registerProvider(edge, admin, fixture, p.id, { shards: p.shards, intents: own });
      await seedAgents(sites, secrets.MESH_ADMIN_TOKEN, p.id, options.agentsPerSite, options.concurrency, { [skill]: 3 });
    }
    console.log(`shards bench: edge and sites up, providers ${providers.map((p) => `${p.id} (${p.shards})`).join(", ")}, ${SITES.length * options.agentsPerSite} agents each (${since()})`);

    const runTag = secret(3);
    const results = [];
    const allFour: string[] = [];
    for (const p of providers) {
      console.log(`running: ${options.callbacks} callbacks for ${p.id}… (${since()})`);
      const plain = await customers(edge, p.id, `${runTag}-${p.id}-a`, options.callbacks, options.concurrency);
      const unsettled = await settle(edge, admin, plain.confirmations, options.concurrency);
      const plans = await reservations(edge, admin, plain.confirmations, options.concurrency);

      console.log(`running: ${options.callbacks / 2} more for ${p.id}, profiled… (${since()})`);
      const { result: profiled, profile, sources } = await profileWhile(inspector, () =>
        customers(edge, p.id, `${runTag}-${p.id}-p`, Math.floor(options.callbacks / 2), options.concurrency),
      );
      // The shards' alarms (planning, dialing) run on after the last answer: their CPU is the shard's too.
      const shardMs = stackShareMs(profile, sources, SHARD_CODE);
      if (options.profileDir) {
        await mkdir(options.profileDir, { recursive: true });
        const file = join(options.profileDir, `shards-${p.shards}.cpuprofile`);
        await writeFile(file, JSON.stringify(profile));
        const per = (ms: number) => `${fixed(ms / Math.max(1, profiled.confirmations.length), 3)} ms`;
        console.log(`${file}:\n${table(["function (self time)", "per callback"], summarize(profile, sources, 25).byFunction.map((f) => [f.name, per(f.ms)]))}`);
      }
      await settle(edge, admin, profiled.confirmations, options.concurrency);
      const counts = perShard(profiled.confirmations, p.shards);
      const busiestShare = Math.max(...counts) / Math.max(1, profiled.confirmations.length);
      if (p.shards === 4) allFour.push(...plain.confirmations, ...profiled.confirmations);
      results.push({
        providerId: p.id,
        shards: p.shards,
        accepted: plain.confirmations.length,
        refused: plain.refused,
        acceptedPerSecond: round(plain.confirmations.length / (plain.elapsedMs / 1000), 1),
        stillWaiting: unsettled,
        ...plans,
        profiled: {
          accepted: profiled.confirmations.length,
          shardCpuMs: round(shardMs, 1),
          shardCpuPerCallbackMs: round(shardMs / Math.max(1, profiled.confirmations.length), 3),
          perShard: counts,
          busiestShare: round(busiestShare, 3),
          busiestShardCpuMs: round(shardMs * busiestShare, 1),
        },
      });
    }

    const more = Math.max(0, options.spread - allFour.length);
    console.log(`running: ${more} more for shards-four, up to ${options.spread} in all… (${since()})`);
    const extra = await customers(edge, "shards-four", `${runTag}-spread`, more, options.concurrency);
    allFour.push(...extra.confirmations);
    const spread = perShard(allFour, 4);
    const even = allFour.length / 4;
    const worstOff = Math.max(...spread.map((n) => Math.abs(n - even) / even));

    const [one, four] = results;
    const busiestRatio = four.profiled.busiestShardCpuMs / one.profiled.shardCpuMs;
    console.log(
      "\n" +
        table(
          ["", "1 shard", "4 shards"],
          [
            ["accepted/s (offer + request, 20 clients)", fixed(one.acceptedPerSecond), fixed(four.acceptedPerSecond)],
            ["reserved/s (first reservation)", fixed(one.reservedPerSecond), fixed(four.reservedPerSecond)],
            ["planned/s (reserved, or waiting with a reason)", fixed(one.plannedPerSecond), fixed(four.plannedPerSecond)],
            ["answer → reservation p50 / p99", `${fixed(one.answerToReservation.p50Ms, 0)} / ${fixed(one.answerToReservation.p99Ms, 0)} ms`, `${fixed(four.answerToReservation.p50Ms, 0)} / ${fixed(four.answerToReservation.p99Ms, 0)} ms`],
            ["shards' CPU per callback (sampled, profiler on)", `${fixed(one.profiled.shardCpuPerCallbackMs, 2)} ms`, `${fixed(four.profiled.shardCpuPerCallbackMs, 2)} ms`],
            ["callbacks per shard (profiled run)", one.profiled.perShard.join(" / "), four.profiled.perShard.join(" / ")],
            ["busiest shard's CPU (shards' CPU × its share)", `${fixed(one.profiled.busiestShardCpuMs, 0)} ms`, `${fixed(four.profiled.busiestShardCpuMs, 0)} ms`],
          ],
        ),
    );
    console.log(
      `busiest of 4 shards / one shard, same load: ${fixed(busiestRatio, 3)} (goal ≤ ${GOAL.maxBusiestRatio}: ${busiestRatio <= GOAL.maxBusiestRatio ? "met" : "missed"})\n` +
        `${allFour.length} callbacks over 4 shards: ${spread.join(" / ")}, at most ${fixed(worstOff * 100, 1)}% off even (goal ≤ ${GOAL.maxSpread * 100}%: ${worstOff <= GOAL.maxSpread ? "met" : "missed"})`,
    );
    const file = await writeResult("shards", {
      machine: machine(),
      options,
      providers: results,
      busiestOfFourOverOne: round(busiestRatio, 3),
      spread: { callbacks: allFour.length, perShard: spread, worstOffEven: round(worstOff, 4) },
      goals: GOAL,
      met: { busiest: busiestRatio <= GOAL.maxBusiestRatio, spread: worstOff <= GOAL.maxSpread && allFour.length >= GOAL.spreadCallbacks },
    });
    console.log(`result: ${file} (${since()})`);
    return 0;
  } finally {
    await run.finish();
  }
}
