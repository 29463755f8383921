/** Callbacks accepted/s through the edge (offer + request) as a ratio to a bare Durable Object SQLite insert, and how late 1,000 callbacks due at one instant are dialed. */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { pidListeningOn, processCpuMs, selfCpuMs } from "./lib/cpu.ts";
import { startAll, startRun } from "./lib/harness.ts";
import { percentile, runLoad, runLoop, runTasks, type LoadStats, type Outcome } from "./lib/load.ts";
import { numberOption as num, readOptions } from "./lib/options.ts";
import { profileWhile, summarize } from "./lib/profile.ts";
import { fixed, machine, round, table, saveRun } from "./lib/report.ts";
import { freePort, membershipKeyPair, startBareInsertWorker, startLocalWorker, type BindingValue, type LocalWorker } from "./lib/workers.ts";
import { call, CUSTOMER_PHONE, registerProvider, requestCallback, seedAgents, setState, SITES, type Answer, type EdgeCall, type SiteId } from "./lib/edge-client.ts";

/**
 * The issue's goals: accepted callbacks/s at least half the bare insert rate (20 clients);
 * 1,000 callbacks due at one instant dialed with p99 lateness at most 20 ms.
 */
const GOAL = { minRatio: 0.5, concurrency: 20, maxLatenessP99Ms: 20, callbacks: 1000 } as const;

const root = join(import.meta.dirname, "..");
/** The example provider the edge tests register. */
const FIXTURE = join(root, "examples", "providers", "acme.json");
/** One CallbackCloud object per provider: each scenario has its own, so neither sees the other's rows. */
const PROVIDER_ACCEPT = "acme-accept";
const PROVIDER_FIRE = "acme-fire";
/** The cloud confirms an agent's reservation this long before the call (objects/callback-cloud: CLAIM_LEAD_MS). */
const CLAIM_LEAD_MS = 30_000;
/** Repair requests in a customer's words (the fixture's "repair" intent: appliance_repair level 3). */
const REASONS = [
  "my washing machine stopped spinning and the drum is full of water",
  "the fridge is not cooling anymore and the milk went off",
  "the oven will not heat up since this morning",
  "the dryer makes a loud banging noise when it runs",
  "dishwasher shows error code E24 and will not drain",
] as const;

const HELP = `usage: npm run bench -- cloud [options]

Starts the edge (wrangler.toml env edge), the three sites (paris, austin, manila) and a
bare Worker + SQLite Durable Object (bench/bare-insert) in local workerd; the edge
reaches the sites over loopback HTTP (SITE_URLS). Then:

A. acceptance: N clients each loop over POST /v1/interactions (an offer) then
   POST /v1/callbacks (asap, voice) with that indicia and a fresh Idempotency-Key.
   One accepted callback = both answered (200, 201). Its rate is compared with the
   bare insert rate measured before and after, with the same client and concurrency.
   The accepted callbacks fire (asap) while the run goes on, as they would.
B. firing: agents on a break until an instant T; ${GOAL.callbacks} asap callbacks are then
   requested, so each is planned at T (the agents' expected availability). After T
   the simulated media server's dial log (GET /v1/media/dials) gives when each dial
   arrived: lateness = dialedAt - scheduledFor.

Each scenario has its own provider (so its own CallbackCloud object), registered from
examples/providers/acme.json but open around the clock (no holidays), so the
figures do not depend on the hour. Result: bench/results/cloud.json.

options:
  --concurrency N   concurrent clients (default ${GOAL.concurrency})
  --duration S      measured seconds of scenario A and of each bare run (default 5)
  --warmup S        warm-up seconds before each, not measured (default 1)
  --agents N        scenario A agents per site, capacity 20 each (default 40)
  --callbacks N     scenario B callbacks due at T (default ${GOAL.callbacks})
  --lead S          seconds from the start of scenario B to T (default: enough to request
                    every callback before the cloud confirms reservations, 30 s ahead of T;
                    at least 45)
  --profile DIR     after scenario A's measurements, a V8 CPU profile of the edge's workerd
                    (edge Worker + CallbackCloud + media server) under the same load for
                    --duration s, written to DIR/edge-accept.cpuprofile and summed up per
                    accepted callback by module and function (the profiler slows the
                    Worker down: its figures are not the bench's)
  --via-proxy       go through wrangler's dev proxy Worker (an extra workerd hop per
                    request) instead of straight to each Worker's own socket
  -h, --help        this text`;

interface Options {
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  agentsPerSite: number;
  callbacks: number;
  leadMs: number | null;
  direct: boolean;
  profileDir: string | null;
}

function parseOptions(args: string[]): Options | "help" {
  const { values } = parseArgs({
    args,
    options: {
      concurrency: { type: "string", default: String(GOAL.concurrency) },
      duration: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      agents: { type: "string", default: "40" },
      callbacks: { type: "string", default: String(GOAL.callbacks) },
      lead: { type: "string" },
      "via-proxy": { type: "boolean", default: false },
      profile: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  return {
    concurrency: num("concurrency", values.concurrency, 1, 1000, true),
    durationMs: num("duration", values.duration, 0.1, 60, false) * 1000,
    warmupMs: num("warmup", values.warmup, 0, 30, false) * 1000,
    agentsPerSite: num("agents", values.agents, 1, 300, true),
    callbacks: num("callbacks", values.callbacks, 1, 5000, true),
    leadMs: values.lead === undefined ? null : num("lead", values.lead, 35, 300, false) * 1000,
    direct: !values["via-proxy"],
    profileDir: values.profile ?? null,
  };
}

/** A histogram as "key: n, …". */
function answers(statuses: Record<string, number>): string {
  return Object.entries(statuses)
    .sort()
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
}

/** What one scenario B callback came to, from its 201, its status afterwards and the dial log. */
interface Fired {
  confirmation: string;
  requestedStatus: string;
  scheduledForMs: number | null;
  /** From GET /v1/callbacks/:c after the firing: the first attempt and its `dialing` event. */
  attemptStartedMs: number | null;
  dialingEventMs: number | null;
  /** When the cloud sent the dial (the attempt's issuedAt), where the cloud records it. */
  issuedMs: number | null;
  dialedMs: number | null;
}

interface Distribution {
  n: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  minMs: number;
  meanMs: number;
}

function distribution(values: readonly number[]): Distribution {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return {
    n,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: n === 0 ? Number.NaN : sorted[n - 1],
    minMs: n === 0 ? Number.NaN : sorted[0],
    meanMs: n === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / n,
  };
}

export async function main(args: string[]): Promise<number> {
  const options = readOptions("cloud", HELP, () => parseOptions(args));
  if (typeof options === "number") return options;
  const started = performance.now();
  const startedAtMs = Date.now();
  const secret = (bytes: number) => randomBytes(bytes).toString("hex");
  const secrets = {
    MESH_ADMIN_TOKEN: secret(24),
    EDGE_JWT_SECRET: secret(32),
    ...membershipKeyPair(),
  };
  const adminToken = secrets.MESH_ADMIN_TOKEN;
  const run = startRun({
    name: "cloud",
    budgetMs: 150_000 + 3 * (options.warmupMs + options.durationMs) + (options.leadMs ?? 120_000),
    stopping: "the Workers",
  });
  const since = () => `${fixed((performance.now() - started) / 1000)} s`;

  try {
    const state = await run.tempDir();
    const fixture = JSON.parse(await readFile(FIXTURE, "utf8")) as Record<string, unknown> & { rules: Record<string, unknown> };
    console.log(
      `cloud bench: ${options.concurrency} clients, ${fixed(options.warmupMs / 1000)} s warm-up + ${fixed(options.durationMs / 1000)} s per run, ` +
        `${options.agentsPerSite} agents per site for A, ${options.callbacks} callbacks due at one instant for B`,
    );

    // ---- Workers: the sites and the bare Worker first (the edge needs the sites' URLs) ----
    const secretBindings = (values: Record<string, string>): Record<string, BindingValue> =>
      Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { type: "secret_text" as const, value: v }]));
    const keep = (w: LocalWorker) => run.track(() => w.dispose());
    const workers = await startAll(
      [
        ...SITES.map((siteId) =>
          startLocalWorker({
            label: `site Worker (${siteId})`,
            config: join(root, "wrangler.toml"),
            env: siteId,
            bindings: {
              ...secretBindings({
                MESH_ADMIN_TOKEN: secrets.MESH_ADMIN_TOKEN,
                EDGE_MEMBERSHIP_PUBLIC_KEY: secrets.EDGE_MEMBERSHIP_PUBLIC_KEY,
                SITE_JWT_SECRET: secret(32),
                PEER_SECRET: secret(24),
              }),
              // No agent may time out mid-run: the monitor would make it unreachable (and unreservable).
              HEARTBEAT_TIMEOUT_MS: { type: "plain_text", value: "600000" },
            },
            persist: join(state, siteId),
            readyPath: "/healthz",
            direct: options.direct,
          }),
        ),
        startBareInsertWorker(join(state, "bare"), options.direct),
      ],
      keep,
    );
    const siteWorkers = Object.fromEntries(SITES.map((id, i) => [id, workers[i]])) as Record<SiteId, LocalWorker>;
    const bare = workers[SITES.length];

    const edgePort = await freePort();
    const siteUrls = Object.fromEntries(SITES.map((id) => [id, siteWorkers[id].url.origin]));
    const edge = await startLocalWorker({
      label: "edge Worker",
      config: join(root, "wrangler.toml"),
      env: "edge",
      port: edgePort,
      bindings: {
        ...secretBindings({ MESH_ADMIN_TOKEN: secrets.MESH_ADMIN_TOKEN, EDGE_JWT_SECRET: secrets.EDGE_JWT_SECRET, EDGE_MEMBERSHIP_KEY: secrets.EDGE_MEMBERSHIP_KEY }),
        SITE_URLS: { type: "plain_text", value: JSON.stringify(siteUrls) },
        PUBLIC_URL: { type: "plain_text", value: `http://127.0.0.1:${edgePort}` },
      },
      persist: join(state, "edge"),
      readyPath: "/healthz",
      direct: options.direct,
      inspector: options.profileDir !== null,
    });
    keep(edge);
    console.log(
      `workers up in ${since()}: edge ${edge.url.origin}, sites ${SITES.map((id) => `${id} ${siteUrls[id]}`).join(", ")}; ` +
        `requests go ${edge.direct ? "straight to each Worker's workerd socket" : "through wrangler's dev proxy Worker"}`,
    );

    const pidOf = async (w: LocalWorker) => (w.innerUrl ? pidListeningOn(Number(w.innerUrl.port)) : null);
    const [edgePid, barePid, ...sitePids] = await Promise.all([pidOf(edge), pidOf(bare), ...SITES.map((id) => pidOf(siteWorkers[id]))]);
    const sample = async () => {
      const sites = await Promise.all(sitePids.map((pid) => (pid === null ? null : processCpuMs(pid))));
      return {
        edge: edgePid === null ? null : await processCpuMs(edgePid),
        sites: sites.some((v) => v === null) ? null : (sites as number[]).reduce((a, b) => a + b, 0),
        bare: barePid === null ? null : await processCpuMs(barePid),
        client: selfCpuMs(),
      };
    };

    const edgeCall = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      call(new URL(path, edge.url), method, body, headers);
    const admin = { authorization: `Bearer ${adminToken}` };

    // ---- Can the edge reach the sites? (workerd -> another workerd on 127.0.0.1) ----
    // An offer shows slots only with the sites' capacity; the cloud may keep a reading of
    // it for a moment, so a few tries.
    await registerProvider(edgeCall, admin, fixture, PROVIDER_ACCEPT);
    await seedAgents(siteWorkers, adminToken, "accept", options.agentsPerSite, options.concurrency);
    let slots = 0;
    let probe: Answer | null = null;
    for (let attempt = 0; attempt < 4 && slots === 0; attempt++) {
      if (attempt > 0) await sleep(1_000);
      probe = await edgeCall("POST", "/v1/interactions", { providerId: PROVIDER_ACCEPT, user: { id: "probe" }, context: { reason: REASONS[0] } });
      slots = probe.status === 200 && Array.isArray(probe.body?.slots) ? probe.body.slots.length : 0;
    }
    if (slots === 0) {
      throw new Error(
        `the edge does not seem to reach the sites over loopback (SITE_URLS): offers answered ${probe?.status} with no slots ` +
          `after ${SITES.length * options.agentsPerSite} agents were staffed: ${probe?.text.slice(0, 300)}`,
      );
    }
    console.log(
      `provider ${PROVIDER_ACCEPT} registered, ${SITES.length * options.agentsPerSite} agents staffed (available, capacity 20) in ${since()}; ` +
        `the edge reaches every site over 127.0.0.1 (an offer shows ${slots} slots)`,
    );

    // ---- Scenario A: acceptance throughput ----
    const stage = (name: string) => console.log(`running: ${name}… (${since()})`);
    let bareSeq = 0;
    const bareLoad = () =>
      runLoad({
        concurrency: options.concurrency,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        okStatuses: [201],
        sample,
        next: () => {
          const n = bareSeq++;
          // About what a callback request carries, stored under a fresh key.
          const body = JSON.stringify({ when: { asap: true }, media: ["voice"], contact: { phone: CUSTOMER_PHONE }, reason: REASONS[n % REASONS.length] });
          return {
            url: new URL(`/v1/inserts/key-${n}`, bare.url),
            init: { method: "POST", headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" }, body },
          };
        },
      });
    // The bare Worker gets a little traffic before its first measured run, as the edge got while seeding.
    await runTasks(Array.from({ length: 200 }, (_, i) => i), options.concurrency, async (i) => {
      await call(new URL(`/v1/inserts/warm-${i}`, bare.url), "POST", { i });
    });

    stage("bare insert (before)");
    const bareBefore = await bareLoad();

    stage("callbacks: offer + request");
    const runTag = secret(4);
    let seq = 0;
    const acceptedA: string[] = [];
    const offerMs: number[] = [];
    const requestMs: number[] = [];
    const accept = await runLoop({
      concurrency: options.concurrency,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      sample,
      iteration: async (client, measured): Promise<Outcome> => {
        const n = seq++;
        const got = await requestCallback(edgeCall, PROVIDER_ACCEPT, `user-${client}-${n}`, REASONS[n % REASONS.length], `bench-${runTag}-a-${n}`);
        if (got.kind === "accepted") {
          acceptedA.push(got.confirmation);
          if (measured) {
            offerMs.push(got.offerMs);
            requestMs.push(got.requestMs);
          }
          return { status: `201 ${got.status}`, ok: true };
        }
        return { status: got.label, ok: false, sample: got.sample };
      },
    });

    stage("bare insert (after)");
    const bareAfter = await bareLoad();

    // A CPU profile of the edge under the same load, after the measurements (the profiler slows it down).
    if (options.profileDir && edge.inspectorUrl) {
      stage("profile of the edge: offer + request");
      await mkdir(options.profileDir, { recursive: true });
      const file = join(options.profileDir, "edge-accept.cpuprofile");
      const { result: stats, profile, sources } = await profileWhile(edge.inspectorUrl, () =>
        runLoop({
          concurrency: options.concurrency,
          warmupMs: 0,
          durationMs: options.durationMs,
          iteration: async (client): Promise<Outcome> => {
            const n = seq++;
            const got = await requestCallback(edgeCall, PROVIDER_ACCEPT, `user-${client}-${n}`, REASONS[n % REASONS.length], `bench-${runTag}-p-${n}`);
            if (got.kind !== "accepted") return { status: got.label, ok: false, sample: got.sample };
            acceptedA.push(got.confirmation);
            return { status: `201 ${got.status}`, ok: true };
          },
        }),
      );
      await writeFile(file, JSON.stringify(profile));
      const n = Math.max(1, (stats.statuses["201 scheduled"] ?? 0) + (stats.statuses["201 pending"] ?? 0));
      const sum = summarize(profile, sources, 30);
      const per = (ms: number) => `${fixed(ms / n, 3)} ms`;
      console.log(`\nprofile of the edge: ${n} callbacks accepted (${answers(stats.statuses)}), ${per(sum.activeMs)} of sampled CPU per callback (${file})`);
      console.log(table(["module (self time)", "per callback"], sum.byModule.map((m) => [m.name, per(m.ms)])));
      console.log(table(["function (self time)", "per callback"], sum.byFunction.map((f) => [f.name, per(f.ms)])));
    }

    // ---- Between the scenarios: A's agents leave, A's unfired callbacks are cancelled ----
    // Otherwise scenario B's agents (on a break until T) would be the only ones left for A's
    // waiting callbacks when they are planned again, and they would fire at T in A's cloud
    // too. What became of each accepted callback is read back first: an asap callback
    // should have been dialed (and, with this number, connected) by now.
    await sleep(1_000);
    const afterA: Record<string, number> = {};
    const demotedA: string[] = [];
    const unfiredA: string[] = [];
    await runTasks(acceptedA, options.concurrency, async (confirmation) => {
      const res = await edgeCall("GET", `/v1/callbacks/${confirmation}`, undefined, admin);
      const status = res.status === 200 ? String(res.body.status) : `GET ${res.status}`;
      afterA[status] = (afterA[status] ?? 0) + 1;
      if (res.status !== 200) return;
      const types = (res.body.history as { type: string }[]).map((e) => e.type);
      // Scheduled, then waiting again without any reason from the agent's site (no "replanned").
      const scheduledAt = types.indexOf("scheduled");
      if (scheduledAt >= 0 && types.indexOf("waiting", scheduledAt) > scheduledAt && !types.includes("replanned")) demotedA.push(confirmation);
      if (["pending", "scheduled", "retrying"].includes(status)) unfiredA.push(confirmation);
    });
    const cancelled = { ok: 0, failed: 0 };
    await runTasks(unfiredA, options.concurrency, async (confirmation) => {
      const res = await edgeCall("DELETE", `/v1/callbacks/${confirmation}`, undefined, admin);
      if (res.status === 200) cancelled.ok += 1;
      else cancelled.failed += 1;
    });
    await setState(siteWorkers, adminToken, "accept", options.agentsPerSite, options.concurrency, { state: "offline" });
    console.log(
      `scenario A's ${acceptedA.length} callbacks a second later: ${answers(afterA)}; ` +
        `${demotedA.length} went from scheduled back to waiting after their 201 (e.g. ${demotedA.slice(0, 2).join(", ") || "none"}); ` +
        `cancelled ${cancelled.ok} unfired${cancelled.failed ? ` (${cancelled.failed} could not be)` : ""}; A's agents went offline (${since()})`,
    );

    // ---- Scenario B: firing lateness ----
    stage(`firing: ${options.callbacks} callbacks due at one instant`);
    await registerProvider(edgeCall, admin, fixture, PROVIDER_FIRE);
    // Enough capacity at T for every callback, with room for planners that race for one agent.
    const fireAgentsPerSite = Math.ceil((options.callbacks * 1.2) / 20 / SITES.length);
    await seedAgents(siteWorkers, adminToken, "fire", fireAgentsPerSite, options.concurrency);
    // Request every callback before the cloud starts confirming reservations (T - 30 s):
    // budget the requests at 1.5 times scenario A's pace.
    const acceptRate = (accept.statuses["201 scheduled"] ?? 0) / (accept.elapsedMs / 1000) || 1;
    const leadMs = options.leadMs ?? Math.min(180_000, Math.max(45_000, Math.ceil((1.5 * options.callbacks) / acceptRate) * 1000 + CLAIM_LEAD_MS + 5_000));
    const fireStartMs = Date.now();
    const T = fireStartMs + leadMs;
    await setState(siteWorkers, adminToken, "fire", fireAgentsPerSite, options.concurrency, { state: "break", until: new Date(T).toISOString() });
    console.log(
      `${SITES.length * fireAgentsPerSite} agents on a break until T = ${new Date(T).toISOString()}: ` +
        `${fixed((T - startedAtMs) / 1000)} s after the start of the run, ${fixed(leadMs / 1000)} s after the start of scenario B`,
    );

    // Dials from here on; scenario A's that come later are told apart by confirmation.
    const lastRowBefore = await lastDialRow(edgeCall, admin);
    const fired: Fired[] = [];
    const refusedB: Record<string, number> = {};
    const refusedSamples: string[] = [];
    const requestStart = performance.now();
    await runTasks(
      Array.from({ length: options.callbacks }, (_, i) => i),
      options.concurrency,
      async (n) => {
        const got = await requestCallback(edgeCall, PROVIDER_FIRE, `fire-user-${n}`, REASONS[n % REASONS.length], `bench-${runTag}-b-${n}`);
        if (got.kind === "accepted") {
          fired.push({
            confirmation: got.confirmation,
            requestedStatus: got.status,
            scheduledForMs: got.scheduledFor ? Date.parse(got.scheduledFor) : null,
            attemptStartedMs: null,
            dialingEventMs: null,
            issuedMs: null,
            dialedMs: null,
          });
        } else {
          refusedB[got.label] = (refusedB[got.label] ?? 0) + 1;
          if (refusedSamples.length < 5) refusedSamples.push(got.sample);
        }
      },
    );
    const requestedInMs = performance.now() - requestStart;
    const requestedBy = Date.now();
    console.log(
      `requested ${fired.length} callbacks in ${fixed(requestedInMs / 1000)} s (${fixed(fired.length / (requestedInMs / 1000), 0)}/s), ` +
        `done ${fixed((T - requestedBy) / 1000)} s before T` +
        (requestedBy > T - CLAIM_LEAD_MS ? " (the cloud had already begun confirming reservations)" : ""),
    );

    // Their status by the edge, before T (admin token): each should be scheduled for T.
    const beforeT = { checked: false, atT: 0, other: [] as { confirmation: string; status: string; scheduledFor: string | null }[] };
    // Only while the cloud is not yet confirming reservations (from T - 30 s), so as not to slow that down.
    if (T - CLAIM_LEAD_MS - Date.now() > 5_000) {
      await runTasks(fired, Math.min(options.concurrency, 10), async (f) => {
        const res = await edgeCall("GET", `/v1/callbacks/${f.confirmation}`, undefined, admin);
        const scheduledFor = typeof res.body?.scheduledFor === "string" ? res.body.scheduledFor : null;
        if (res.status === 200 && res.body.status === "scheduled" && scheduledFor !== null && Date.parse(scheduledFor) === T) beforeT.atT += 1;
        else beforeT.other.push({ confirmation: f.confirmation, status: `${res.status} ${res.body?.status ?? ""}`.trim(), scheduledFor });
      });
      beforeT.checked = true;
      console.log(
        `checked before T: ${beforeT.atT} of ${fired.length} scheduled for T` +
          (beforeT.other.length ? `; not: ${beforeT.other.slice(0, 3).map((o) => `${o.confirmation} ${o.status} ${o.scheduledFor}`).join(", ")}` : ""),
      );
    } else {
      console.log("no time left to check each callback before the cloud confirms reservations: checked after the firing only");
    }

    // Nothing is asked of the edge around T (polling would compete with the alarm for the
    // media server object): wait, then read the dial log from where it stood. One read
    // a little before T keeps the simulated media server (a stand-in for telephony that is
    // always up) from being idle-evicted, so that its restart is not counted as lateness.
    await sleepUntil(T - 2_500);
    const touchStart = performance.now();
    await edgeCall("GET", "/v1/media/dials?limit=1", undefined, admin);
    const touchMs = performance.now() - touchStart;
    const cpuBeforeT = await sleepUntil(T - 1_000).then(sample);
    await sleepUntil(T + 2_000);
    const cpuAfterT = await sample();
    const wanted = new Map(fired.map((f) => [f.confirmation, f]));
    let dialsSeen = 0;
    let otherDialsNearT = 0;
    let after = lastRowBefore;
    const deadline = T + 30_000;
    for (;;) {
      const res = await edgeCall("GET", `/v1/media/dials?limit=1000&after=${after}`, undefined, admin);
      if (res.status !== 200) throw new Error(`GET /v1/media/dials answered ${res.status}: ${res.text.slice(0, 300)}`);
      const dials = res.body.dials as { row: number; confirmation: string; attempt: number; dialedAt: string | null }[];
      for (const d of dials) {
        after = Math.max(after, d.row);
        const f = wanted.get(d.confirmation);
        const at = d.dialedAt ? Date.parse(d.dialedAt) : Number.NaN;
        if (!f && at >= T - 1_000 && at <= T + 5_000) otherDialsNearT += 1;
        if (f && d.attempt === 1 && f.dialedMs === null && d.dialedAt) {
          f.dialedMs = Date.parse(d.dialedAt);
          dialsSeen += 1;
        }
      }
      if (dialsSeen >= fired.length || Date.now() > deadline) break;
      if (dials.length < 1000) await sleep(500);
    }
    console.log(`dial log read: ${dialsSeen} of ${fired.length} first dials seen by ${fixed((Date.now() - T) / 1000)} s after T`);

    // Where the time went, from each callback's record: the alarm run's start (the first
    // attempt's startedAt) and the `dialing` event (written with the attempt record).
    await runTasks(fired, Math.min(options.concurrency, 10), async (f) => {
      const res = await edgeCall("GET", `/v1/callbacks/${f.confirmation}`, undefined, admin);
      if (res.status !== 200) return;
      const first = (res.body.attempts as { n: number; startedAt: string; issuedAt?: string | null }[]).find((a) => a.n === 1);
      const dialing = (res.body.history as { at: string; type: string }[]).find((e) => e.type === "dialing");
      f.attemptStartedMs = first ? Date.parse(first.startedAt) : null;
      f.dialingEventMs = dialing ? Date.parse(dialing.at) : null;
      f.issuedMs = typeof first?.issuedAt === "string" ? Date.parse(first.issuedAt) : null;
      if (typeof res.body.scheduledFor === "string") f.scheduledForMs = Date.parse(res.body.scheduledFor);
    });

    // ---- figures ----
    const bareRps = (bareBefore.rps + bareAfter.rps) / 2;
    const spread = Math.abs(bareBefore.rps - bareAfter.rps) / bareRps;
    const accepted = Object.entries(accept.statuses)
      .filter(([k]) => k.startsWith("201 "))
      .reduce((a, [, v]) => a + v, 0);
    const scheduledA = accept.statuses["201 scheduled"] ?? 0;
    const acceptedRate = (accepted * 1000) / accept.elapsedMs;
    const ratio = acceptedRate / bareRps;
    const perUnit = (s: LoadStats, key: string, n = s.requests) => {
      const ms = s.sampled[key];
      return ms === null || ms === undefined || n === 0 ? Number.NaN : ms / n;
    };
    const bareCpu = (perUnit(bareBefore, "bare") + perUnit(bareAfter, "bare")) / 2;
    const edgeCpu = perUnit(accept, "edge", accepted);
    const sitesCpu = perUnit(accept, "sites", accepted);

    console.log();
    console.log("A. acceptance (one callback = POST /v1/interactions + POST /v1/callbacks)");
    const row = (name: string, s: LoadStats, unitsPerS: number, r: string, edgeMs: number, sitesMs: number, serverMs: number) => [
      name,
      String(s.requests),
      fixed(unitsPerS, 0),
      fixed(s.p50Ms, 1),
      fixed(s.p90Ms, 1),
      fixed(s.p99Ms, 1),
      fixed(s.maxMs, 1),
      r,
      fixed(serverMs, 2),
      fixed(edgeMs, 2),
      fixed(sitesMs, 2),
      answers(s.statuses),
    ];
    console.log(
      table(
        ["run", "done", "per s", "p50 ms", "p90 ms", "p99 ms", "max ms", "× bare", "cpu ms (bare)", "edge cpu ms", "sites cpu ms", "answers"],
        [
          row("bare insert (before)", bareBefore, bareBefore.rps, "—", Number.NaN, Number.NaN, perUnit(bareBefore, "bare")),
          row("callbacks (offer + request)", accept, acceptedRate, fixed(ratio, 3), edgeCpu, sitesCpu, Number.NaN),
          row("bare insert (after)", bareAfter, bareAfter.rps, "—", Number.NaN, Number.NaN, perUnit(bareAfter, "bare")),
          ["bare insert (mean)", "", fixed(bareRps, 0), "", "", "", "", "1.000", fixed(bareCpu, 2), "", "", `before/after differ by ${fixed(spread * 100, 0)}%`],
        ],
      ),
    );
    console.log(
      "per s: accepted callbacks (bare: inserts) per second; latencies are of the whole pair. cpu ms: CPU time per accepted\n" +
        "callback of the edge's workerd (edge Worker + CallbackCloud + media server) and of the three sites' workerds together;\n" +
        "for the bare runs, of the bare Worker's workerd per insert. The machine has " +
        `${machine().cpus} CPUs for the load generator and five workerd processes.`,
    );
    console.log(
      `answers: ${scheduledA} scheduled, ${accept.statuses["201 pending"] ?? 0} pending (no agent free: they wait and are planned again); ` +
        `${acceptedA.length} callbacks accepted in all (warm-up included); asap, they fired during the run.`,
    );
    const offerDist = distribution(offerMs);
    const requestDist = distribution(requestMs);
    console.log(
      `of the pair: offer (POST /v1/interactions) p50 ${fixed(offerDist.p50Ms, 1)} ms, p99 ${fixed(offerDist.p99Ms, 1)} ms; ` +
        `request (POST /v1/callbacks) p50 ${fixed(requestDist.p50Ms, 1)} ms, p99 ${fixed(requestDist.p99Ms, 1)} ms`,
    );

    const scheduled = fired.filter((f) => f.scheduledForMs === T);
    const notAtT = fired.filter((f) => f.scheduledForMs !== T);
    const dialed = scheduled.filter((f) => f.dialedMs !== null);
    const lateness = distribution(dialed.map((f) => (f.dialedMs as number) - T));
    const withParts = dialed.filter((f) => f.attemptStartedMs !== null && f.dialingEventMs !== null);
    const alarmStart = distribution(withParts.map((f) => (f.attemptStartedMs as number) - T));
    const toRecord = distribution(withParts.map((f) => (f.dialingEventMs as number) - (f.attemptStartedMs as number)));
    const toDial = distribution(withParts.map((f) => (f.dialedMs as number) - (f.dialingEventMs as number)));
    const withIssued = withParts.filter((f) => f.issuedMs !== null);
    const issuedLateness = distribution(withIssued.map((f) => (f.issuedMs as number) - T));
    const toIssued = distribution(withIssued.map((f) => (f.issuedMs as number) - (f.dialingEventMs as number)));
    const issuedToDialed = distribution(withIssued.map((f) => (f.dialedMs as number) - (f.issuedMs as number)));
    const alarmRuns = new Set(withParts.map((f) => f.attemptStartedMs)).size;
    const firstDial = dialed.length ? Math.min(...dialed.map((f) => f.dialedMs as number)) : Number.NaN;
    const lastDial = dialed.length ? Math.max(...dialed.map((f) => f.dialedMs as number)) : Number.NaN;
    const edgeCpuAroundT = cpuAfterT.edge !== null && cpuBeforeT.edge !== null ? cpuAfterT.edge - cpuBeforeT.edge : Number.NaN;

    console.log();
    console.log(
      `B. firing: ${fired.length} callbacks requested, ${scheduled.length} scheduled for T, ${dialed.length} of those dialed ` +
        `(T was ${fixed((T - startedAtMs) / 1000)} s after the start of the run)`,
    );
    const dist = (name: string, d: Distribution) => [name, String(d.n), fixed(d.p50Ms, 1), fixed(d.p90Ms, 1), fixed(d.p99Ms, 1), fixed(d.maxMs, 1), fixed(d.minMs, 1)];
    console.log(
      table(
        ["from -> to", "callbacks", "p50 ms", "p90 ms", "p99 ms", "max ms", "min ms"],
        [
          dist("T -> media server got the dial (dialedAt)", lateness),
          dist("T -> cloud sent the dial (issuedAt)", issuedLateness),
          dist("  T -> alarm run began", alarmStart),
          dist("  alarm began -> attempt recorded", toRecord),
          ...(withIssued.length > 0
            ? [dist("  attempt recorded -> issuedAt", toIssued), dist("  issuedAt -> dialedAt", issuedToDialed)]
            : [dist("  attempt recorded -> dialedAt", toDial)]),
        ],
      ),
    );
    console.log(
      `lateness = the simulated media server's dialedAt - scheduledFor (issuedAt: the cloud's own note of when it sent the\n` +
        `dial, where it keeps one). The parts come from each callback's record: the alarm run's start (its first attempt's\n` +
        `startedAt), its "dialing" event (written with the attempt, in one transaction for the batch; local workerd's clock\n` +
        `runs on inside it) and the attempt's issuedAt.\n` +
        `${alarmRuns} alarm run(s) dialed them; first dial ${fixed(firstDial - T, 1)} ms after T, last ${fixed(lastDial - T, 1)} ms after T; ` +
        `edge workerd CPU from T - 1 s to T + 2 s: ${fixed(edgeCpuAroundT, 0)} ms; the media server answered a read at T - 2.5 s in ${fixed(touchMs, 0)} ms` +
        `${otherDialsNearT > 0 ? `; ${otherDialsNearT} other dial(s) (scenario A) from T - 1 s to T + 5 s` : ""}.`,
    );
    if (notAtT.length > 0) {
      const sampleNot = notAtT.slice(0, 3).map((f) => `${f.confirmation} ${f.requestedStatus} ${f.scheduledForMs === null ? "unscheduled" : new Date(f.scheduledForMs).toISOString()}`);
      console.log(`not scheduled for T: ${notAtT.length} (e.g. ${sampleNot.join(", ")})`);
    }
    if (Object.keys(refusedB).length > 0) console.log(`refused: ${answers(refusedB)}, e.g.:\n  ${refusedSamples.join("\n  ")}`);

    const ratioOk = ratio >= GOAL.minRatio;
    const latenessOk = dialed.length === scheduled.length && scheduled.length === options.callbacks && lateness.p99Ms <= GOAL.maxLatenessP99Ms;
    console.log();
    console.log(`goal (at ${GOAL.concurrency} clients; ${GOAL.callbacks} callbacks due at once):`);
    console.log(`  acceptance  ${fixed(acceptedRate, 0)} callbacks/s = ${fixed(ratio, 3)} × bare insert ${ratioOk ? "≥" : "<"} ${GOAL.minRatio}  ${ratioOk ? "ok" : "MISS"}`);
    console.log(
      `  firing      p50 ${fixed(lateness.p50Ms, 1)} ms, p99 ${fixed(lateness.p99Ms, 1)} ms ${lateness.p99Ms <= GOAL.maxLatenessP99Ms ? "≤" : ">"} ${GOAL.maxLatenessP99Ms} ms  ` +
        `${latenessOk ? "ok" : "MISS"}${dialed.length < options.callbacks ? ` (only ${dialed.length} of ${options.callbacks} dialed at T)` : ""}`,
    );
    if (options.concurrency !== GOAL.concurrency || options.callbacks !== GOAL.callbacks) console.log("  (this run did not use the goal's settings)");
    if (spread > 0.25) console.log(`note: the two bare runs differ by ${fixed(spread * 100, 0)}%: the machine is noisy, rerun for steadier ratios`);

    const invalid = [
      ["bare insert (before)", bareBefore],
      ["callbacks", accept],
      ["bare insert (after)", bareAfter],
    ].filter(([, s]) => (s as LoadStats).errors > 0) as [string, LoadStats][];
    for (const [name, s] of invalid) console.error(`\n${name}: ${s.errors} unexpected answers, e.g.:\n  ${s.errorSamples.join("\n  ")}`);

    const figures = (s: LoadStats, extra: Record<string, unknown> = {}) => ({
      iterations: s.requests,
      p50Ms: round(s.p50Ms),
      p90Ms: round(s.p90Ms),
      p99Ms: round(s.p99Ms),
      maxMs: round(s.maxMs),
      meanMs: round(s.meanMs),
      elapsedMs: round(s.elapsedMs, 0),
      statuses: s.statuses,
      errors: s.errors,
      ...extra,
    });
    const dist3 = (d: Distribution) => ({ n: d.n, p50Ms: round(d.p50Ms), p90Ms: round(d.p90Ms), p99Ms: round(d.p99Ms), maxMs: round(d.maxMs), minMs: round(d.minMs), meanMs: round(d.meanMs) });
    const result = {
      bench: "cloud",
      at: new Date().toISOString(),
      machine: machine(),
      code: revision(),
      settings: {
        concurrency: options.concurrency,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        acceptAgents: SITES.length * options.agentsPerSite,
        fireAgents: SITES.length * fireAgentsPerSite,
        agentCapacity: 20,
        callbacks: options.callbacks,
        leadMs,
        target: edge.direct ? "workerd socket of each Worker" : "wrangler dev proxy Worker",
        edgeToSites: "fetch over 127.0.0.1 (SITE_URLS)",
      },
      goal: GOAL,
      baseline: {
        before: figures(bareBefore, { rps: round(bareBefore.rps, 1), cpuMsPerInsert: round(perUnit(bareBefore, "bare"), 3) }),
        after: figures(bareAfter, { rps: round(bareAfter.rps, 1), cpuMsPerInsert: round(perUnit(bareAfter, "bare"), 3) }),
        meanRps: round(bareRps, 1),
        meanCpuMsPerInsert: round(bareCpu, 3),
        spread: round(spread, 3),
      },
      acceptance: figures(accept, {
        acceptedPerSecond: round(acceptedRate, 1),
        ratio: round(ratio, 3),
        ratioOk,
        scheduled: scheduledA,
        pending: accept.statuses["201 pending"] ?? 0,
        acceptedIncludingWarmup: acceptedA.length,
        afterwards: afterA,
        demotedAfter201: demotedA.length,
        demotedExamples: demotedA.slice(0, 5),
        unfiredCancelled: cancelled.ok,
        edgeCpuMsPerCallback: round(edgeCpu, 3),
        sitesCpuMsPerCallback: round(sitesCpu, 3),
        clientCpuMsPerCallback: round(perUnit(accept, "client", accepted), 3),
        offer: dist3(offerDist),
        request: dist3(requestDist),
      }),
      firing: {
        T: new Date(T).toISOString(),
        tAfterRunStartS: round((T - startedAtMs) / 1000, 1),
        tAfterScenarioStartS: round(leadMs / 1000, 1),
        requested: fired.length,
        requestSeconds: round(requestedInMs / 1000, 2),
        requestedBeforeTS: round((T - requestedBy) / 1000, 2),
        refused: refusedB,
        checkedBeforeT: beforeT.checked ? { scheduledForT: beforeT.atT, other: beforeT.other.slice(0, 20) } : null,
        scheduledForT: scheduled.length,
        notScheduledForT: notAtT.length,
        dialed: dialed.length,
        lateness: dist3(lateness),
        issuedLateness: withIssued.length > 0 ? dist3(issuedLateness) : null,
        parts: {
          alarmStart: dist3(alarmStart),
          alarmToAttemptRecorded: dist3(toRecord),
          attemptRecordedToDial: dist3(toDial),
          attemptRecordedToIssued: withIssued.length > 0 ? dist3(toIssued) : null,
          issuedToDialed: withIssued.length > 0 ? dist3(issuedToDialed) : null,
        },
        alarmRuns,
        firstDialAfterTMs: round(firstDial - T),
        lastDialAfterTMs: round(lastDial - T),
        edgeCpuMsAroundT: round(edgeCpuAroundT, 0),
        mediaReadBeforeTMs: round(touchMs, 1),
        otherDialsNearT,
        latenessOk,
      },
      goalMet: ratioOk && latenessOk,
      runSeconds: 0,
    };
    await saveRun("cloud", result, started);
    return invalid.length > 0 || dialed.length < scheduled.length ? 1 : 0;
  } finally {
    await run.finish();
  }
}

/** The dial log's last row now, so that later reads see only newer dials. */
async function lastDialRow(edge: EdgeCall, admin: Record<string, string>): Promise<number> {
  let after = 0;
  for (;;) {
    const res = await edge("GET", `/v1/media/dials?limit=1000&after=${after}`, undefined, admin);
    if (res.status !== 200) throw new Error(`GET /v1/media/dials answered ${res.status}: ${res.text.slice(0, 300)}`);
    const rows = res.body.dials as { row: number }[];
    if (rows.length === 0) return after;
    after = rows[rows.length - 1].row;
    if (rows.length < 1000) return after;
  }
}

async function sleepUntil(epochMs: number): Promise<void> {
  const wait = epochMs - Date.now();
  if (wait > 0) await sleep(wait);
}

/** Which code ran: the commit, and whether the product's files differed from it. */
function revision(): { commit: string | null; uncommittedChanges: string[] } {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  try {
    const changed = git("status", "--porcelain", "--", "objects", "workers", "federation", "wrangler.toml")
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => l.slice(3));
    return { commit: git("rev-parse", "HEAD").trim(), uncommittedChanges: changed };
  } catch {
    return { commit: null, uncommittedChanges: [] };
  }
}
