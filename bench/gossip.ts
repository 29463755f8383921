/** Gossip: time for a status change to reach every member (p50/p99 at 5, 10, 20 peers, and end to end through Workers), bytes per change, idle CPU per peer. */
import { createHash } from "node:crypto";
import { join } from "node:path";
// Node's own: the global one is typed by @cloudflare/workers-types, without eventLoopUtilization.
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { Digest, DigestAgent } from "../federation/wire/digest.ts";
import type { Mesh } from "../federation/node/launcher/mesh.ts";
import { peerIdOf, startPeer, type Peer } from "../federation/node/peer/peer.ts";
import { startAll, startRun, type Run } from "./lib/harness.ts";
import { percentile } from "./lib/load.ts";
import { numberOption as num, readOptions } from "./lib/options.ts";
import { fixed, machine, round, table, saveRun } from "./lib/report.ts";
import { countTcpBytes, type WireCounter } from "./lib/wire.ts";
import { SKILL_SETS } from "../federation/node/launcher/simulation.ts";

// As the other benches: quiet, offline, traceless wrangler (the end-to-end part starts Workers).
process.env.WRANGLER_LOG ??= "warn";
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.WRANGLER_WRITE_LOGS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

/** The issue's goal: a change reaches every member within 250 ms at p99, with 20 members (peer level). */
const GOAL = { members: 20, maxP99Ms: 250 } as const;
/** A change not seen by every member within this long counts as lost for those that missed it. */
const PEER_TIMEOUT_MS = 2_000;
const E2E_TIMEOUT_MS = 5_000;
/** Members publish their digest at least this often when nothing changes (federation/node/member.ts refreshMs). */
const REFRESH_MS = 1_000;
/** federation/node/member.ts pollMs, only to describe it in the report. */
const BRIDGE_POLL_MS = 100;
const E2E_POLL_MS = 10;
const E2E_AGENT = "gossip-bench-agent";

const HELP = `usage: npm run bench -- gossip [options]

Peer level: N federation peers (federation/node/peer/peer.ts startPeer, as members run
them) in this process on 127.0.0.1 TCP, every peer dialling every other (what
federation/node/member.ts does with the membership list), a membership function that
knows all N. After a warm-up, one peer at a time publishes a changed digest (seq+1,
one agent flipped between available and busy; publishers take turns) and every other
peer's onDigest stamps its arrival (one clock: performance.now()). Then the peers sit
idle, then publish a refresh once a second each (as members do), to measure CPU.
  reach all    per change, the time until the last of the N-1 others has it
  per member   every (change, receiver) arrival
  bytes        TCP payload of all peer connections (both directions, counted once
               per direction at the sender), during the changes, less the idle rate
  idle CPU     process.cpuUsage() of this process (all N peers in it) / N / wall time

End to end: the edge and S site Workers with their bridged peers (startMesh, a
temporary state folder); an agent's status is flipped at one site (admin POST) and
every other member's GET /v1/mesh is polled every ${E2E_POLL_MS} ms until it shows the
site's new available count. Includes the bridge's ${BRIDGE_POLL_MS} ms poll of its Worker
(out) and its ${BRIDGE_POLL_MS} ms forward loop (in). Result: bench/results/gossip.json.

options:
  --sizes LIST        peer-level member counts (default 5,10,20)
  --changes N         changes per size (default 100)
  --agents N          agents in each digest (default 20)
  --idle S            seconds idle per size (default 10: libp2p pings every connection
                      once every 10 s, so one whole round is in)
  --refresh S         seconds with refreshes per size (default 5)
  --e2e-sites LIST    end-to-end site counts (default 3,5)
  --e2e-changes N     changes per end-to-end mesh (default 20)
  --edge-port P       end to end: the edge's port (default 38787; +1 for each next mesh)
  --site-port P       end to end: first site's port (default 38801; +20 for each next mesh)
  --no-peers          skip the peer level
  --no-e2e            skip the end-to-end part
  -h, --help          this text`;

interface Options {
  sizes: number[];
  changes: number;
  agents: number;
  idleMs: number;
  refreshMs: number;
  e2eSites: number[];
  e2eChanges: number;
  edgePort: number;
  sitePort: number;
  peers: boolean;
  e2e: boolean;
}

function parseOptions(args: string[]): Options | "help" {
  const { values } = parseArgs({
    args,
    options: {
      sizes: { type: "string", default: "5,10,20" },
      changes: { type: "string", default: "100" },
      agents: { type: "string", default: "20" },
      idle: { type: "string", default: "10" },
      refresh: { type: "string", default: "5" },
      "e2e-sites": { type: "string", default: "3,5" },
      "e2e-changes": { type: "string", default: "20" },
      "edge-port": { type: "string", default: "38787" },
      "site-port": { type: "string", default: "38801" },
      "no-peers": { type: "boolean", default: false },
      "no-e2e": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  const list = (name: string, value: string, min: number, max: number) =>
    value
      .split(",")
      .filter((s) => s.trim() !== "")
      .map((s) => num(name, s.trim(), min, max));
  return {
    sizes: list("sizes", values.sizes, 2, 60),
    changes: num("changes", values.changes, 1, 10_000),
    agents: num("agents", values.agents, 1, 1000),
    idleMs: num("idle", values.idle, 0, 60, false) * 1000,
    refreshMs: num("refresh", values.refresh, 0, 60, false) * 1000,
    e2eSites: list("e2e-sites", values["e2e-sites"], 2, 20),
    e2eChanges: num("e2e-changes", values["e2e-changes"], 1, 1000),
    edgePort: num("edge-port", values["edge-port"], 1024, 65000),
    sitePort: num("site-port", values["site-port"], 1024, 65000),
    peers: !values["no-peers"],
    e2e: !values["no-e2e"],
  };
}

// ---- statistics -----------------------------------------------------------------------------

interface Summary {
  n: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Nearest-rank percentiles, as bench/lib/load.ts computes them. */
function summarize(values: readonly number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const pct = (p: number) => percentile(sorted, p);
  return {
    n,
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    maxMs: n === 0 ? Number.NaN : sorted[n - 1],
    meanMs: n === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / n,
  };
}

const roundSummary = (s: Summary) => ({
  n: s.n,
  p50Ms: round(s.p50Ms),
  p90Ms: round(s.p90Ms),
  p99Ms: round(s.p99Ms),
  maxMs: round(s.maxMs),
  meanMs: round(s.meanMs),
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const jitter = (min: number, max: number) => min + Math.random() * (max - min);

// ---- digests --------------------------------------------------------------------------------

/** A site's agents as its digest shows them (opaque refs, no names), all available. */
function agentsOf(siteId: string, count: number): DigestAgent[] {
  return Array.from({ length: count }, (_, i) => ({
    ref: `r_${createHash("sha256").update(`${siteId}/${i}`).digest("hex").slice(0, 20)}`,
    skills: SKILL_SETS[i % SKILL_SETS.length],
    channels: ["voice", "sms", "email"],
    languages: ["en", "fr"],
    state: "available",
    expectedAvailableAtMs: null,
    capacity: 1,
    freeCapacity: 1,
  }));
}

/** The digest a site's roster would issue for these agents (objects/roster/digest-of.ts, simplified). */
function digestFor(siteId: string, seq: number, agents: readonly DigestAgent[]): Digest {
  const now = Date.now();
  const skills: Digest["skills"] = {};
  for (const a of agents) {
    const expected = a.state === "available" ? now : now + 5 * 60_000;
    for (const [name, level] of Object.entries(a.skills)) {
      const s = (skills[name] ??= { agents: 0, available: 0, freeCapacity: 0, maxLevel: 0, earliestAvailableAtMs: null });
      s.agents += 1;
      if (a.state === "available") s.available += 1;
      s.freeCapacity += a.freeCapacity;
      s.maxLevel = Math.max(s.maxLevel, level);
      if (s.earliestAvailableAtMs === null || expected < s.earliestAvailableAtMs) s.earliestAvailableAtMs = expected;
    }
  }
  return {
    version: 1,
    siteId,
    seq,
    issuedAtMs: now,
    ttlMs: 4_000,
    agents: agents.map((a) => ({ ...a, expectedAvailableAtMs: a.state === "available" ? now : now + 5 * 60_000 })),
    skills,
  };
}

// ---- peer level -----------------------------------------------------------------------------

interface PeerLevelResult {
  members: number;
  changes: number;
  setupMs: number;
  warmupRounds: number;
  /** Distinct peers each peer is connected to, and TCP connections in all. */
  connectedPeers: { min: number; max: number };
  tcpConnections: number;
  reachAll: Summary;
  perReceiver: Summary;
  /** How long peer.publish() itself took (encode, check, sign, hand to gossipsub). */
  publishCall: Summary;
  /** (change, receiver) pairs that never arrived within PEER_TIMEOUT_MS. */
  lost: number;
  /** Share of the measured phase the event loop (all N peers) was busy. */
  eventLoopBusy: number;
  /** Longest the event loop was blocked during the changes (monitorEventLoopDelay, 5 ms resolution). */
  eventLoopDelayMaxMs: number;
  /** CPU of this process (all N peers) during the changes, per change: what one change costs the whole mesh. */
  cpuMsPerChange: number;
  slowestReachAllMs: number[];
  digestBytes: number;
  bytesPerChange: number;
  netBytesPerChange: number;
  netBytesPerChangePerReceiver: number;
  /** Net bytes per change over the digest's size: how many times the digest crossed the wire. */
  digestCopiesPerChange: number;
  idle: PhaseCost;
  refresh: PhaseCost & { deliveries: number; expectedDeliveries: number };
}

interface PhaseCost {
  seconds: number;
  /** CPU of this process over the phase / members / wall time, in % of one core. */
  cpuPercentPerPeer: number;
  /** Wire bytes (all peers) over the phase / members / wall time. */
  bytesPerSecondPerPeer: number;
}

interface Pending {
  t0: number;
  arrivals: number[];
  remaining: number;
  done: Promise<void>;
  resolve: () => void;
}

async function peerLevel(n: number, options: Options, wire: WireCounter, run: Run): Promise<PeerLevelResult> {
  const { signal } = run;
  const setupStart = performance.now();
  const dir = await run.tempDir();
  const peers: Peer[] = [];
  let refreshTimer: NodeJS.Timeout | undefined;
  try {
    const sites = Array.from({ length: n }, (_, i) => `s${i + 1}`);
    const ids = await Promise.all(sites.map((s) => peerIdOf(join(dir, `${s}.key`))));
    const siteOf = new Map(ids.map((id, i) => [id, sites[i]]));
    const pending = new Map<string, Pending>();
    let unmatched = 0;
    const agents = sites.map((s) => agentsOf(s, options.agents));
    const seq = new Array<number>(n).fill(0);

    await startAll(
      sites.map((siteId, i) =>
        startPeer({
          keyFile: join(dir, `${siteId}.key`),
          listen: ["/ip4/127.0.0.1/tcp/0"],
          bootstrap: [],
          memberSite: (peerId) => siteOf.get(peerId) ?? null,
          onDigest: (digest) => {
            const p = pending.get(`${digest.siteId}:${digest.seq}`);
            if (!p) {
              unmatched++;
              return;
            }
            if (!Number.isNaN(p.arrivals[i])) return;
            p.arrivals[i] = performance.now();
            if (--p.remaining === 0) p.resolve();
          },
          log: (m) => {
            if (/fail|threw|reject/i.test(m)) console.error(`  [${siteId}] ${m}`);
          },
        }),
      ),
      (peer) => peers.push(peer),
    );
    const ports = new Set(peers.flatMap((p) => p.addrs().map((a) => Number(/\/tcp\/(\d+)/.exec(a)?.[1]))));

    // Every peer dials every other, as members do when the membership list arrives (both ends at once).
    await Promise.allSettled(peers.flatMap((p, i) => peers.filter((_, j) => j !== i).map((q) => p.dial(q.addrs()[0]))));
    const connectDeadline = performance.now() + 15_000;
    while (!peers.every((p) => p.connectedPeers().length >= n - 1)) {
      signal.throwIfAborted();
      if (performance.now() > connectDeadline) {
        throw new Error(`peers not all connected after 15 s: ${peers.map((p) => p.connectedPeers().length).join(",")}`);
      }
      await sleep(20);
    }

    const publish = async (i: number, flip: number | null): Promise<Pending> => {
      if (flip !== null) {
        const a = agents[i][flip % options.agents];
        a.state = a.state === "available" ? "busy" : "available";
        a.freeCapacity = a.state === "available" ? 1 : 0;
      }
      const digest = digestFor(sites[i], ++seq[i], agents[i]);
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      const p: Pending = { t0: 0, arrivals: new Array<number>(n).fill(Number.NaN), remaining: n - 1, done, resolve };
      pending.set(`${sites[i]}:${digest.seq}`, p);
      p.t0 = performance.now();
      await peers[i].publish(digest);
      return p;
    };
    const settle = (p: Pending, ms: number) => Promise.race([p.done, sleep(ms)]);

    // Warm-up: rounds of one digest from every peer until a whole round reaches everyone,
    // then two heartbeats (2 × 500 ms) so that gossipsub's mesh is grafted.
    let warmupRounds = 0;
    for (;;) {
      signal.throwIfAborted();
      warmupRounds++;
      const round: Pending[] = [];
      for (let i = 0; i < n; i++) {
        round.push(await publish(i, null));
        await sleep(5);
      }
      await Promise.all(round.map((p) => settle(p, 1_000)));
      const complete = round.every((p) => p.remaining === 0);
      pending.clear();
      if (complete) break;
      if (warmupRounds >= 5) throw new Error(`warm-up: a round of digests still does not reach every peer after ${warmupRounds} rounds`);
      await sleep(500);
    }
    await sleep(1_000);
    const setupMs = performance.now() - setupStart;

    // ---- the changes, one at a time ----
    const reachAll: number[] = [];
    const perReceiver: number[] = [];
    const publishCall: number[] = [];
    let lost = 0;
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const wire0 = wire.totals(ports);
    const phase0 = performance.now();
    for (let k = 0; k < options.changes; k++) {
      signal.throwIfAborted();
      const publisher = k % n;
      const p = await publish(publisher, Math.floor(k / n));
      publishCall.push(performance.now() - p.t0);
      await settle(p, PEER_TIMEOUT_MS);
      pending.clear();
      let worst = 0;
      p.arrivals.forEach((at, i) => {
        if (i === publisher) return;
        if (Number.isNaN(at)) {
          lost++;
          return;
        }
        perReceiver.push(at - p.t0);
        worst = Math.max(worst, at - p.t0);
      });
      if (p.remaining === 0) reachAll.push(worst);
      // One change at a time: the next goes out once the relays' copies of this one are
      // through (no byte on any peer connection for 15 ms), at no fixed phase of the heartbeat.
      await quiet(wire, ports, 15, 1_000);
      await sleep(jitter(0, 20));
    }
    const phaseMs = performance.now() - phase0;
    const cpu1 = process.cpuUsage(cpu0);
    loopDelay.disable();
    const wire1 = wire.totals(ports);
    const eventLoopBusy = performance.eventLoopUtilization(elu0).utilization;

    // ---- idle: nothing published (after the message cache has emptied: 3 heartbeats) ----
    await sleep(2_000);
    const measure = async (ms: number, during?: () => () => void) => {
      const w0 = wire.totals(ports).written;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const end = during?.();
      await sleep(ms);
      const c1 = process.cpuUsage(c0);
      const wall = performance.now() - t0;
      const bytes = wire.totals(ports).written - w0;
      end?.();
      return {
        seconds: round(wall / 1000, 2),
        cpuPercentPerPeer: ((c1.user + c1.system) / 1000 / n / wall) * 100,
        bytesPerSecondPerPeer: bytes / n / (wall / 1000),
      } satisfies PhaseCost;
    };
    signal.throwIfAborted();
    const idle = await measure(options.idleMs);

    // ---- refresh: every peer publishes its unchanged digest once a second, staggered ----
    signal.throwIfAborted();
    const unmatched0 = unmatched;
    let publishes = 0;
    let publishErrors = 0;
    const refreshPhase = await measure(options.refreshMs, () => {
      let tick = 0;
      refreshTimer = setInterval(() => {
        const i = tick++ % n;
        publishes++;
        // Not awaited on purpose: a refresh does not wait for the previous one, as on separate machines.
        peers[i].publish(digestFor(sites[i], ++seq[i], agents[i])).catch(() => publishErrors++);
      }, REFRESH_MS / n);
      return () => clearInterval(refreshTimer);
    });
    await sleep(200);
    if (publishErrors > 0) console.error(`  ${publishErrors} refresh publishes failed`);

    const digestBytes = new TextEncoder().encode(JSON.stringify(digestFor(sites[0], 1_000_000, agents[0]))).byteLength;
    const bytes = wire1.written - wire0.written;
    const net = bytes - idle.bytesPerSecondPerPeer * n * (phaseMs / 1000);
    const connected = peers.map((p) => p.connectedPeers().length);
    return {
      members: n,
      changes: options.changes,
      setupMs,
      warmupRounds,
      connectedPeers: { min: Math.min(...connected), max: Math.max(...connected) },
      tcpConnections: wire1.open / 2,
      reachAll: summarize(reachAll),
      perReceiver: summarize(perReceiver),
      publishCall: summarize(publishCall),
      lost,
      eventLoopBusy,
      eventLoopDelayMaxMs: loopDelay.max / 1e6,
      cpuMsPerChange: (cpu1.user + cpu1.system) / 1000 / options.changes,
      slowestReachAllMs: [...reachAll].sort((a, b) => b - a).slice(0, 5).map((v) => round(v, 1)),
      digestBytes,
      bytesPerChange: bytes / options.changes,
      netBytesPerChange: net / options.changes,
      netBytesPerChangePerReceiver: net / options.changes / (n - 1),
      digestCopiesPerChange: net / options.changes / digestBytes,
      idle,
      refresh: { ...refreshPhase, deliveries: unmatched - unmatched0, expectedDeliveries: publishes * (n - 1) },
    };
  } finally {
    clearInterval(refreshTimer);
    await withTimeout(
      Promise.allSettled(peers.map((p) => p.stop())),
      10_000,
      () => console.error(`  stopping the ${n} peers took over 10 s; going on`),
    );
    await run.removeDir(dir);
  }
}

// ---- end to end -----------------------------------------------------------------------------

interface EndToEndResult {
  sites: number;
  /** Members that must see each change: the other sites and the edge. */
  receivers: number;
  changes: number;
  startupMs: number;
  convergeMs: number;
  reachAll: Summary;
  perReceiver: Summary;
  /** The admin POST of the status change. */
  statusPost: Summary;
  /** From the POST to the first digest issued with the change (the bridge's poll of its Worker); estimated from digest ages. */
  toBridgePoll: Summary;
  /** From that digest's issue to the last member showing it (gossip + the receivers' forward loops + this poll). */
  issueToAll: Summary;
  lost: number;
  /** TCP connections between the mesh's peers once converged (a pair dialled from both ends has two). */
  tcpConnections: number;
  workerErrors: string[];
}

interface MeshMemberView {
  siteId: string;
  health: string;
  seq: number | null;
  digestAgeMs: number | null;
  agents: { total: number; available: number };
}

async function endToEnd(sites: number, index: number, options: Options, wire: WireCounter, run: Run): Promise<EndToEndResult> {
  const { signal } = run;
  const { startMesh } = await import("../federation/node/launcher/mesh.ts");
  const stateDir = await run.tempDir("e2e");
  const workerErrors: string[] = [];
  const recent: string[] = [];
  let mesh: Mesh | undefined;
  let untrack = () => {};
  try {
    const t0 = performance.now();
    mesh = await startMesh(
      {
        sites,
        fresh: true,
        stateDir,
        host: "127.0.0.1",
        edgePort: options.edgePort + index,
        sitePort: options.sitePort + 20 * index,
        // The bench's agent is flipped often, the others never report: nobody may time out mid-run.
        settings: { HEARTBEAT_TIMEOUT_MS: "600000" },
        readyTimeoutMs: 60_000,
        peers: true,
      },
      {
        signal,
        log: (id, level, message) => {
          const line = `[${id}] ${level}: ${message.trimEnd()}`;
          recent.push(line);
          if (recent.length > 40) recent.shift();
          if (level === "error" && workerErrors.length < 20) workerErrors.push(line);
        },
      },
    );
    const startupMs = performance.now() - t0;
    const m = mesh;
    untrack = run.track(() => m.stop());
    const admin = { authorization: `Bearer ${m.adminToken}`, "content-type": "application/json" };
    const nodes: Record<string, string> = { edge: m.urls.edge, ...m.urls.sites };
    const siteIds = Object.keys(m.urls.sites);

    const call = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(url, { ...init, headers: admin, signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]) });
      const text = await res.text();
      if (!res.ok) throw new Error(`${init.method ?? "GET"} ${url} answered ${res.status}: ${text.slice(0, 300)}`);
      return JSON.parse(text) as unknown;
    };
    const meshAt = async (node: string) => ((await call(`${nodes[node]}/v1/mesh`)) as { members: MeshMemberView[] }).members;

    // One agent per site, logged in and available.
    const state: Record<string, "available" | "busy"> = {};
    for (const siteId of siteIds) {
      await call(`${m.urls.sites[siteId]}/v1/agents/${E2E_AGENT}`, {
        method: "PUT",
        body: JSON.stringify({ name: "Gossip Bench", skills: { billing: 3 }, channels: ["voice"], languages: ["en"] }),
      });
      await call(`${m.urls.sites[siteId]}/v1/agents/${E2E_AGENT}/status`, { method: "POST", body: JSON.stringify({ state: "available" }) });
      state[siteId] = "available";
    }

    // Converged: every node sees every other site up, with its agent available.
    const convergeStart = performance.now();
    for (;;) {
      signal.throwIfAborted();
      const views = await Promise.all(Object.keys(nodes).map(async (node) => [node, await meshAt(node)] as const));
      const ok = views.every(([node, members]) =>
        siteIds
          .filter((s) => s !== node)
          .every((s) => {
            const v = members.find((x) => x.siteId === s);
            return v?.health === "up" && v.agents.available === 1;
          }),
      );
      if (ok) break;
      if (performance.now() - convergeStart > 45_000) {
        throw new Error(`the mesh did not converge in 45 s: ${JSON.stringify(views.map(([n, ms]) => [n, ms.map((x) => `${x.siteId}:${x.health}:${x.agents.available}`)]))}`);
      }
      await sleep(100);
    }
    const convergeMs = performance.now() - convergeStart;

    const peerPorts = new Set([...m.peers.values()].flatMap((p) => p.peer.addrs().map((a) => Number(/\/tcp\/(\d+)/.exec(a)?.[1]))));
    const tcpConnections = wire.totals(peerPorts).open / 2;

    // ---- the changes ----
    const reachAll: number[] = [];
    const perReceiver: number[] = [];
    const statusPost: number[] = [];
    const toBridge: number[] = [];
    const issueToAll: number[] = [];
    let lost = 0;
    for (let k = 0; k < options.e2eChanges; k++) {
      signal.throwIfAborted();
      const siteId = siteIds[k % siteIds.length];
      const next = state[siteId] === "available" ? "busy" : "available";
      const expected = next === "available" ? 1 : 0;
      const receivers = Object.keys(nodes).filter((n) => n !== siteId);
      const deadline = performance.now() + E2E_TIMEOUT_MS;
      const wall0 = Date.now();
      const t0 = performance.now();
      // Watching starts with the POST: until it is done every member still shows the old count.
      const watch = async (node: string) => {
        while (performance.now() < deadline) {
          signal.throwIfAborted();
          const sentWall = Date.now();
          const members = await meshAt(node);
          const at = performance.now();
          const v = members.find((x) => x.siteId === siteId);
          if (v && v.agents.available === expected) {
            // The digest's age is on the Worker's clock at the moment it answered: between send and answer.
            const issuedWall = v.digestAgeMs === null ? null : (sentWall + Date.now()) / 2 - v.digestAgeMs;
            return { at, issuedWall };
          }
          await sleep(E2E_POLL_MS);
        }
        return null;
      };
      const post = call(`${m.urls.sites[siteId]}/v1/agents/${E2E_AGENT}/status`, { method: "POST", body: JSON.stringify({ state: next }) }).then(
        () => statusPost.push(performance.now() - t0),
      );
      const [seen] = await Promise.all([Promise.all(receivers.map(watch)), post]);
      state[siteId] = next;
      let worst = 0;
      let firstIssue = Number.POSITIVE_INFINITY;
      for (const s of seen) {
        if (s === null) {
          lost++;
          continue;
        }
        perReceiver.push(s.at - t0);
        worst = Math.max(worst, s.at - t0);
        if (s.issuedWall !== null) firstIssue = Math.min(firstIssue, s.issuedWall);
      }
      if (seen.every((s) => s !== null)) {
        reachAll.push(worst);
        if (Number.isFinite(firstIssue)) {
          toBridge.push(Math.max(0, firstIssue - wall0));
          issueToAll.push(worst - Math.max(0, firstIssue - wall0));
        }
      }
      // At no fixed phase of the bridges' 100 ms loops.
      await sleep(jitter(50, 150));
    }
    return {
      sites,
      receivers: Object.keys(nodes).length - 1,
      changes: options.e2eChanges,
      startupMs,
      convergeMs,
      reachAll: summarize(reachAll),
      perReceiver: summarize(perReceiver),
      statusPost: summarize(statusPost),
      toBridgePoll: summarize(toBridge),
      issueToAll: summarize(issueToAll),
      lost,
      tcpConnections,
      workerErrors,
    };
  } catch (error) {
    if (recent.length > 0) console.error(`  last Worker/peer log lines:\n    ${recent.slice(-15).join("\n    ")}`);
    throw error;
  } finally {
    if (mesh) {
      await withTimeout(mesh.stop(), 30_000, () => console.error("  mesh.stop() took over 30 s; going on"));
      untrack();
    }
    await run.removeDir(stateDir);
  }
}

// ---- plumbing -------------------------------------------------------------------------------

async function withTimeout(promise: Promise<unknown>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve();
    }, ms);
  });
  try {
    await Promise.race([promise.then(() => {}), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once no byte has moved on the given ports for `quietMs` (or after `maxMs`). */
async function quiet(wire: WireCounter, ports: ReadonlySet<number>, quietMs: number, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  let last = wire.totals(ports).written;
  let since = performance.now();
  while (performance.now() < deadline) {
    await sleep(5);
    const now = wire.totals(ports).written;
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return;
  }
}

const kb = (bytes: number) => (Number.isFinite(bytes) ? `${fixed(bytes / 1024, 1)} KiB` : "—");

export async function main(args: string[]): Promise<number> {
  const options = readOptions("gossip", HELP, () => parseOptions(args));
  if (typeof options === "number") return options;
  const started = performance.now();
  const run = startRun({
    name: "gossip",
    budgetMs:
      60_000 +
      options.sizes.length * (20_000 + options.idleMs + options.refreshMs + options.changes * 100) +
      options.e2eSites.length * (90_000 + options.e2eChanges * 1_000),
  });

  const wire = countTcpBytes();
  const peerResults: PeerLevelResult[] = [];
  const e2eResults: EndToEndResult[] = [];
  const failures: string[] = [];
  try {
    console.log(
      `gossip bench: peer level ${options.peers ? `${options.sizes.join(", ")} members × ${options.changes} changes, ${options.agents} agents per digest` : "skipped"}; ` +
        `end to end ${options.e2e ? `${options.e2eSites.join(", ")} sites × ${options.e2eChanges} changes` : "skipped"}`,
    );
    if (options.peers) {
      for (const n of options.sizes) {
        console.log(`running: peer level, ${n} members…`);
        try {
          const r = await peerLevel(n, options, wire, run);
          peerResults.push(r);
          console.log(
            `  reach all p50 ${fixed(r.reachAll.p50Ms, 1)} ms, p99 ${fixed(r.reachAll.p99Ms, 1)} ms; ${kb(r.netBytesPerChange)} per change; ` +
              `idle ${fixed(r.idle.cpuPercentPerPeer, 2)}% CPU per peer (set up in ${fixed(r.setupMs / 1000)} s)`,
          );
        } catch (err) {
          if (run.signal.aborted) throw err;
          failures.push(`peer level ${n}: ${err instanceof Error ? err.message : String(err)}`);
          console.error(`  failed: ${failures.at(-1)}`);
        }
      }
    }
    if (options.e2e) {
      for (const [i, s] of options.e2eSites.entries()) {
        console.log(`running: end to end, ${s} sites + edge…`);
        try {
          const r = await endToEnd(s, i, options, wire, run);
          e2eResults.push(r);
          console.log(
            `  reach all p50 ${fixed(r.reachAll.p50Ms, 0)} ms, p99 ${fixed(r.reachAll.p99Ms, 0)} ms (Workers up in ${fixed(r.startupMs / 1000)} s, converged ${fixed(r.convergeMs / 1000)} s later)`,
          );
        } catch (err) {
          if (run.signal.aborted) throw err;
          failures.push(`end to end ${s}: ${err instanceof Error ? err.message : String(err)}`);
          console.error(`  failed: ${failures.at(-1)}`);
        }
      }
    }

    // ---- report ----
    if (peerResults.length > 0) {
      console.log("\npeer level: one process, N libp2p peers on 127.0.0.1 TCP, every peer dialling every other; gossipsub as configured in federation/node/peer/node.ts");
      console.log(
        table(
          ["members", "changes", "reach all p50", "p90", "p99", "max", "per member p50", "p99", "lost", "publish() p50", "CPU/change", "loop busy", "loop stall"],
          peerResults.map((r) => [
            String(r.members),
            String(r.changes),
            `${fixed(r.reachAll.p50Ms, 1)} ms`,
            `${fixed(r.reachAll.p90Ms, 1)} ms`,
            `${fixed(r.reachAll.p99Ms, 1)} ms`,
            `${fixed(r.reachAll.maxMs, 1)} ms`,
            `${fixed(r.perReceiver.p50Ms, 1)} ms`,
            `${fixed(r.perReceiver.p99Ms, 1)} ms`,
            String(r.lost),
            `${fixed(r.publishCall.p50Ms, 2)} ms`,
            `${fixed(r.cpuMsPerChange, 1)} ms`,
            `${fixed(r.eventLoopBusy * 100, 0)}%`,
            `${fixed(r.eventLoopDelayMaxMs, 0)} ms`,
          ]),
        ),
      );
      console.log();
      console.log(
        table(
          ["members", "digest", "wire per change", "per receiver", "× digest", "idle CPU/peer", "idle B/s/peer", "refresh CPU/peer", "refresh B/s/peer", "peers/peer", "TCP conns"],
          peerResults.map((r) => [
            String(r.members),
            `${fixed(r.digestBytes / 1024, 1)} KiB`,
            kb(r.netBytesPerChange),
            kb(r.netBytesPerChangePerReceiver),
            `${fixed(r.digestCopiesPerChange, 1)}×`,
            `${fixed(r.idle.cpuPercentPerPeer, 2)}%`,
            fixed(r.idle.bytesPerSecondPerPeer, 0),
            `${fixed(r.refresh.cpuPercentPerPeer, 2)}%`,
            fixed(r.refresh.bytesPerSecondPerPeer, 0),
            r.connectedPeers.min === r.connectedPeers.max ? String(r.connectedPeers.min) : `${r.connectedPeers.min}–${r.connectedPeers.max}`,
            fixed(r.tcpConnections, 0),
          ]),
        ),
      );
      console.log(
        "reach all: per change, publish() called → the last of the other N-1 peers' onDigest. per member: every (change, receiver).\n" +
          "CPU/change: CPU of this process (all N peers: the publisher, every receiver and every relay) per change.\n" +
          "loop busy / stall: event-loop utilization during the changes, and its longest block (all N peers share one thread,\n" +
          "so a change's copies are handled one after another: an upper bound for N separate machines).\n" +
          "wire per change: TCP payload of all peer connections during the changes (Noise + yamux + gossipsub, control included)\n" +
          "less the idle rate, / changes; × digest: that over the digest's JSON size. CPU: process.cpuUsage() / N / wall time,\n" +
          `% of one core; refresh: each peer publishing its digest every ${REFRESH_MS} ms (staggered), as members do.`,
      );
    }
    if (e2eResults.length > 0) {
      console.log(
        `\nend to end: edge + S site Workers (own workerd each) + bridged peers; admin POST of an agent status at one site → every other member's GET /v1/mesh shows it (polled every ${E2E_POLL_MS} ms)`,
      );
      console.log(
        table(
          ["sites", "receivers", "changes", "reach all p50", "p99", "max", "per member p50", "p99", "lost", "POST p50", "to bridge poll p50", "p99", "issue → all p50", "p99"],
          e2eResults.map((r) => [
            String(r.sites),
            String(r.receivers),
            String(r.changes),
            `${fixed(r.reachAll.p50Ms, 0)} ms`,
            `${fixed(r.reachAll.p99Ms, 0)} ms`,
            `${fixed(r.reachAll.maxMs, 0)} ms`,
            `${fixed(r.perReceiver.p50Ms, 0)} ms`,
            `${fixed(r.perReceiver.p99Ms, 0)} ms`,
            String(r.lost),
            `${fixed(r.statusPost.p50Ms, 0)} ms`,
            `${fixed(r.toBridgePoll.p50Ms, 0)} ms`,
            `${fixed(r.toBridgePoll.p99Ms, 0)} ms`,
            `${fixed(r.issueToAll.p50Ms, 0)} ms`,
            `${fixed(r.issueToAll.p99Ms, 0)} ms`,
          ]),
        ),
      );
      console.log(
        `reach all: from sending the POST to the last member (other sites and the edge) showing the new available count, ` +
          `±${E2E_POLL_MS} ms + one GET.\n` +
          `to bridge poll: POST → issue of the first digest carrying the change, i.e. the publishing bridge's ${BRIDGE_POLL_MS} ms poll of its Worker\n` +
          `(estimated from the digest age each Worker reports, ±a few ms); issue → all: the rest (gossip, each receiving bridge's ${BRIDGE_POLL_MS} ms\n` +
          "forward loop and its POST /federation/digests, this bench's poll).",
      );
      const errors = e2eResults.flatMap((r) => r.workerErrors);
      if (errors.length > 0) console.log(`Worker errors seen (${errors.length}):\n  ${errors.slice(0, 10).join("\n  ")}`);
    }

    const atGoal = peerResults.find((r) => r.members === GOAL.members);
    const goalMet = atGoal ? atGoal.reachAll.p99Ms <= GOAL.maxP99Ms && atGoal.lost === 0 : null;
    console.log();
    if (atGoal) {
      console.log(
        `goal (a change reaches every member within ${GOAL.maxP99Ms} ms at p99, ${GOAL.members} members, peer level): ` +
          `p99 ${fixed(atGoal.reachAll.p99Ms, 1)} ms ${goalMet ? "≤" : ">"} ${GOAL.maxP99Ms} ms ${goalMet ? "ok" : "MISS"}` +
          (atGoal.lost > 0 ? ` (${atGoal.lost} arrivals lost)` : ""),
      );
    } else {
      console.log(`goal (p99 ≤ ${GOAL.maxP99Ms} ms at ${GOAL.members} members): not measured in this run (--sizes has no ${GOAL.members})`);
    }
    for (const f of failures) console.error(`failed: ${f}`);

    const result = {
      bench: "gossip",
      at: new Date().toISOString(),
      machine: machine(),
      settings: {
        sizes: options.sizes,
        changes: options.changes,
        agentsPerDigest: options.agents,
        idleSeconds: options.idleMs / 1000,
        refreshSeconds: options.refreshMs / 1000,
        peerTimeoutMs: PEER_TIMEOUT_MS,
        topology: "every peer dials every other (full bootstrap), one process, 127.0.0.1 TCP",
        refreshMs: REFRESH_MS,
        e2eSites: options.e2eSites,
        e2eChanges: options.e2eChanges,
        e2ePollMs: E2E_POLL_MS,
        bridgePollMs: BRIDGE_POLL_MS,
      },
      goal: GOAL,
      goalMet,
      peerLevel: peerResults.map((r) => ({
        ...r,
        setupMs: round(r.setupMs, 0),
        reachAll: roundSummary(r.reachAll),
        perReceiver: roundSummary(r.perReceiver),
        publishCall: roundSummary(r.publishCall),
        eventLoopBusy: round(r.eventLoopBusy, 3),
        eventLoopDelayMaxMs: round(r.eventLoopDelayMaxMs, 1),
        cpuMsPerChange: round(r.cpuMsPerChange, 2),
        bytesPerChange: round(r.bytesPerChange, 0),
        netBytesPerChange: round(r.netBytesPerChange, 0),
        netBytesPerChangePerReceiver: round(r.netBytesPerChangePerReceiver, 0),
        digestCopiesPerChange: round(r.digestCopiesPerChange, 2),
        idle: { ...r.idle, cpuPercentPerPeer: round(r.idle.cpuPercentPerPeer, 3), bytesPerSecondPerPeer: round(r.idle.bytesPerSecondPerPeer, 0) },
        refresh: { ...r.refresh, cpuPercentPerPeer: round(r.refresh.cpuPercentPerPeer, 3), bytesPerSecondPerPeer: round(r.refresh.bytesPerSecondPerPeer, 0) },
      })),
      endToEnd: e2eResults.map((r) => ({
        ...r,
        startupMs: round(r.startupMs, 0),
        convergeMs: round(r.convergeMs, 0),
        reachAll: roundSummary(r.reachAll),
        perReceiver: roundSummary(r.perReceiver),
        statusPost: roundSummary(r.statusPost),
        toBridgePoll: roundSummary(r.toBridgePoll),
        issueToAll: roundSummary(r.issueToAll),
      })),
      failures,
      runSeconds: 0,
    };
    if (peerResults.length + e2eResults.length > 0) {
      await saveRun("gossip", result, started);
    }
    const lost = peerResults.reduce((a, r) => a + r.lost, 0) + e2eResults.reduce((a, r) => a + r.lost, 0);
    return failures.length > 0 || lost > 0 ? 1 : 0;
  } finally {
    wire.stop();
    await run.finish();
  }
}
