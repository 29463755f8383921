/** Scheduler on generated traces: joint plan against the exact optimum and greedy, callbacks placed, double bookings, time per callback. */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FREE_HORIZON_MS, MAX_FREE_INTERVALS, type DigestAgent } from "../federation/wire/digest.ts";
import type { MeshMember } from "../federation/runtime/mesh-view.ts";
// The greedy baseline is for comparison only: not in the production barrel.
import { planGreedy } from "../objects/callback-cloud/scheduling/greedy.ts";
import {
  DEFAULT_WEIGHTS,
  planTogether,
  planWith,
  rankFor,
  type CallbackNeed,
  type Interval,
  type PlanResult,
  type SchedulingContext,
} from "../objects/callback-cloud/scheduling/index.ts";
import { numberOption as num, readOptions } from "./lib/options.ts";
import { prng } from "./lib/prng.ts";
import { fixed, machine, round, table, writeResult } from "./lib/report.ts";

/** A lightly loaded mesh as the issue sizes it, the same mesh busy (agents mostly on inbound work), and a small one. */
const DEFAULT_TRACES = ["50x200x5000", "50x200x5000@0.04", "5x20x200"];

/** The goals: ≥ 0.99 of the exact optimum, no double booking, p99 ≤ 5 ms per callback at 50 sites × 200 agents. */
const GOAL = { minOptimumRatio: 0.99, doubleBookings: 0, maxP99Ms: 5 } as const;

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Monday 7 January 2030, 00:00 UTC: the traced day. */
const D0 = Date.UTC(2030, 0, 7);
const DIGEST_TTL_MS = 4_000;

const HELP = `usage: npm run bench -- scheduler [options]

Generates seeded traces (sites × agents per site × callbacks over a day) and plans
them with the scheduler (objects/callback-cloud/scheduling), in two modes:
  arrivals   the cloud plans callbacks as they arrive, every --batch minutes: each
             call plans those that arrived since the last, on digests that hold
             what earlier calls reserved (free intervals ≤ 8, ≤ 24 h ahead)
  day        the whole day's callbacks known at midnight, one planTogether call
             (digest limits lifted: every free interval of the day is given)
Each mode also runs the greedy baseline (first come, each callback takes its best
free agent) on the same trace. The exact optimum is computed per batch (the
callbacks planned together) with the same solver on the unpruned problem: every
option of every callback. Double bookings are counted by replaying every placement
against the agents' capacities and free time, independently of the planner.
Result: bench/results/scheduler.json (figures for the README's Performance section).

options:
  --trace SxAxC[@F] sites x agents per site x callbacks [@ share of a shift free
                    for callbacks]; repeat for several (default 50x200x5000,
                    50x200x5000@0.04 and 5x20x200)
  --batch MIN       minutes between plan calls in arrival mode (default 5)
  --slot MIN        length of a callback's reservation (default 30)
  --free SHARE      share of a shift an agent is free for callbacks, when a
                    trace does not say (default 0.25)
  --singles N       single-callback calls timed per trace (default 200)
  --no-day          skip the day mode
  --seed N          trace seed (default 1)
  -h, --help        this text`;

interface TraceSpec {
  sites: number;
  agentsPerSite: number;
  callbacks: number;
  /** Share of a shift the agents are free for callbacks. */
  freeShare: number;
}

interface Options {
  traces: TraceSpec[];
  batchMs: number;
  slotMs: number;
  singles: number;
  day: boolean;
  seed: number;
}

function parseOptions(args: string[]): Options | "help" {
  const { values } = parseArgs({
    args,
    options: {
      trace: { type: "string", multiple: true },
      batch: { type: "string", default: "5" },
      slot: { type: "string", default: "30" },
      free: { type: "string", default: "0.25" },
      singles: { type: "string", default: "200" },
      "no-day": { type: "boolean", default: false },
      seed: { type: "string", default: "1" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  const freeShare = num("free", values.free, 0.01, 1, false);
  const traces = (values.trace ?? DEFAULT_TRACES).map((t) => {
    const m = /^(\d+)x(\d+)x(\d+)(?:@([\d.]+))?$/.exec(t);
    if (!m) throw new Error(`--trace must look like 50x200x5000 or 50x200x5000@0.05, not ${JSON.stringify(t)}`);
    return {
      sites: num("trace sites", m[1], 1, 500),
      agentsPerSite: num("trace agents", m[2], 1, 1000),
      callbacks: num("trace callbacks", m[3], 1, 100_000),
      freeShare: m[4] === undefined ? freeShare : num("trace free share", m[4], 0.01, 1, false),
    };
  });
  return {
    traces,
    batchMs: num("batch", values.batch, 1, 240) * MIN,
    slotMs: num("slot", values.slot, 5, 120) * MIN,
    singles: num("singles", values.singles, 0, 10_000),
    day: !values["no-day"],
    seed: num("seed", values.seed, 0, 2 ** 31),
  };
}

// ---------------------------------------------------------------- the trace


function weighted<T>(rnd: () => number, choices: readonly (readonly [T, number])[]): T {
  const total = choices.reduce((s, [, w]) => s + w, 0);
  let x = rnd() * total;
  for (const [v, w] of choices) {
    x -= w;
    if (x < 0) return v;
  }
  return choices[choices.length - 1][0];
}

/** Skills with their share of callbacks (demand) and of agents (supply): repair is in short supply. */
const SKILLS = [
  ["repair", 0.28, 0.14],
  ["billing", 0.2, 0.24],
  ["orders", 0.15, 0.18],
  ["returns", 0.1, 0.12],
  ["install", 0.09, 0.1],
  ["warranty", 0.08, 0.08],
  ["tech", 0.06, 0.08],
  ["sales", 0.04, 0.06],
] as const;
const LEVELS = [
  [1, 0.1],
  [2, 0.25],
  [3, 0.3],
  [4, 0.2],
  [5, 0.15],
] as const;
/** Regions by UTC offset (hours) and the languages their agents speak besides English. */
const REGIONS = [
  [-6, ["es"]],
  [-5, ["es", "fr"]],
  [0, ["fr", "de"]],
  [1, ["fr", "de", "es"]],
  [2, ["de"]],
  [8, ["ja", "zh"]],
] as const;

interface SimSite {
  siteId: string;
  health: "up" | "stale" | "down";
  costTier: number;
  initialLoad: number;
}

interface SimAgent {
  site: number;
  ref: string;
  skills: Record<string, number>;
  channels: DigestAgent["channels"];
  languages: string[];
  capacity: number;
  /** When it is free for callbacks before any reservation: the shift less its inbound work. */
  duty: Interval[];
}

interface Trace {
  sites: SimSite[];
  agents: SimAgent[];
  callbacks: { arrivalMs: number; need: CallbackNeed }[];
}

function makeTrace(spec: TraceSpec, seed: number): Trace {
  const rnd = prng(seed * 1_000_003 + spec.sites * 7919 + spec.agentsPerSite * 31 + spec.callbacks);
  const sites: SimSite[] = Array.from({ length: spec.sites }, (_, i) => ({
    siteId: `site-${String(i).padStart(3, "0")}`,
    // Roughly one site in ten is not up: stale (silent a while) or down.
    health: weighted(rnd, [
      ["up", 0.9],
      ["stale", 0.06],
      ["down", 0.04],
    ] as const),
    costTier: Math.floor(rnd() * 4),
    initialLoad: Math.floor(rnd() * spec.agentsPerSite * 0.2),
  }));
  const agents: SimAgent[] = [];
  sites.forEach((_, s) => {
    const [offset, langs] = REGIONS[Math.floor(rnd() * REGIONS.length)];
    for (let i = 0; i < spec.agentsPerSite; i++) {
      const skills: Record<string, number> = {};
      const extra = weighted(rnd, [
        [0, 0.55],
        [1, 0.35],
        [2, 0.1],
      ] as const);
      while (Object.keys(skills).length < 1 + extra) skills[weighted(rnd, SKILLS.map(([n, , supply]) => [n, supply] as const))] = weighted(rnd, LEVELS);
      const channels: DigestAgent["channels"] = rnd() < 0.9 ? ["voice"] : [];
      if (rnd() < 0.3) channels.push("sms");
      if (rnd() < 0.25 || channels.length === 0) channels.push("chat");
      const languages = ["en", ...langs.filter(() => rnd() < 0.35)];
      // Chat-only agents may take two at once; everyone else one.
      const capacity = channels.length === 1 && channels[0] === "chat" ? 2 : 1;
      agents.push({ site: s, ref: `r_${agents.length.toString(16).padStart(20, "0")}`, skills, channels, languages, capacity, duty: shifts(rnd, offset, spec.freeShare) });
    }
  });
  const bySkill = new Map<string, number[]>();
  agents.forEach((a, i) => {
    for (const k of Object.keys(a.skills)) bySkill.set(k, [...(bySkill.get(k) ?? []), i]);
  });
  const callbacks = Array.from({ length: spec.callbacks }, (_, i) => {
    // Two peaks (late morning, afternoon) over a background through the day.
    const shape = rnd();
    const hour = shape < 0.45 ? gauss(rnd, 10, 2) : shape < 0.9 ? gauss(rnd, 15, 2) : rnd() * 24;
    const arrivalMs = D0 + Math.round(Math.min(23.5, Math.max(0, hour)) * HOUR);
    const skill = weighted(rnd, SKILLS.map(([n, demand]) => [n, demand] as const));
    const asap = rnd() < 0.6;
    const earliestMs = asap ? arrivalMs + 2 * MIN : Math.ceil((arrivalMs + 30 * MIN + rnd() * 10 * HOUR) / (15 * MIN)) * 15 * MIN;
    const windowMs = asap ? 2 * HOUR : weighted(rnd, [[30 * MIN, 0.3], [HOUR, 0.4], [2 * HOUR, 0.3]] as const);
    const pool = bySkill.get(skill) ?? [];
    const previous = rnd() < 0.1 && pool.length > 0 ? agents[pool[Math.floor(rnd() * pool.length)]] : null;
    const need: CallbackNeed = {
      id: `cb-${i}`,
      skill,
      level: weighted(rnd, [
        [1, 0.2],
        [2, 0.35],
        [3, 0.3],
        [4, 0.15],
      ] as const),
      channel: weighted(rnd, [
        ["voice", 0.8],
        ["sms", 0.1],
        ["chat", 0.1],
      ] as const),
      ...(rnd() < 0.25 ? { language: weighted(rnd, [["es", 0.45], ["fr", 0.3], ["de", 0.15], ["ja", 0.1]] as const) } : {}),
      earliestMs,
      latestStartMs: earliestMs + windowMs,
      asap,
      priority: weighted(rnd, [
        [1, 0.05],
        [2, 0.15],
        [3, 0.5],
        [4, 0.2],
        [5, 0.1],
      ] as const),
      ...(previous ? { previousAgent: { siteId: sites[previous.site].siteId, agentId: previous.ref } } : {}),
    };
    return { arrivalMs, need };
  });
  callbacks.sort((a, b) => a.arrivalMs - b.arrivalMs);
  return { sites, agents, callbacks };
}

function gauss(rnd: () => number, mean: number, sd: number): number {
  return mean + sd * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/**
 * An agent's time free for callbacks over the traced day and the next: an 8-hour shift
 * starting 6:00-14:00 local, of which each half hour is free with probability --free
 * (the rest goes to inbound work), merged into intervals.
 */
function shifts(rnd: () => number, offsetH: number, freeShare: number): Interval[] {
  const startLocal = 6 + Math.floor(rnd() * 9) + Math.floor(rnd() * 4) / 4;
  const out: [number, number][] = [];
  for (const day of [-1, 0, 1]) {
    const start = D0 + day * DAY + (startLocal - offsetH) * HOUR;
    for (let b = 0; b < 16; b++) {
      if (rnd() >= freeShare) continue;
      const s = start + b * 30 * MIN;
      const prev = out[out.length - 1];
      if (prev && prev[1] === s) prev[1] = s + 30 * MIN;
      else out.push([s, s + 30 * MIN]);
    }
  }
  return out;
}

// ---------------------------------------------------------------- the sites' rosters

/** The sites' rosters as the bench keeps them: the reservations each plan made, digests from them. */
class Rosters {
  readonly held: Interval[][];
  readonly load: number[];
  private readonly freeCache: (readonly Interval[] | null)[];
  private readonly entries: ({ all: readonly Interval[]; lo: number; hi: number; onNow: boolean; entry: DigestAgent } | undefined)[] = [];
  private readonly trace: Trace;
  private readonly slotMs: number;
  private readonly byRef: Map<string, number>;

  constructor(trace: Trace, slotMs: number) {
    this.trace = trace;
    this.slotMs = slotMs;
    this.held = trace.agents.map(() => []);
    this.freeCache = trace.agents.map(() => null);
    this.load = trace.sites.map((s) => s.initialLoad);
    this.byRef = new Map(trace.agents.map((a, i) => [`${trace.sites[a.site].siteId}\n${a.ref}`, i]));
  }

  /** Reserves what a plan placed, unchecked: the replay below is what checks. */
  hold(result: PlanResult): void {
    for (const p of result.placements) {
      const i = this.byRef.get(`${p.siteId}\n${p.agentId}`);
      if (i === undefined) throw new Error(`placement on an unknown agent ${p.siteId}/${p.agentId}`);
      this.held[i].push([p.startMs, p.startMs + this.slotMs]);
      this.freeCache[i] = null;
      this.load[this.trace.agents[i].site] += 1;
    }
  }

  /** Every interval in which agent i is on duty and below its capacity; kept until it reserves again. */
  private allFree(i: number): readonly Interval[] {
    const cached = this.freeCache[i];
    if (cached) return cached;
    const a = this.trace.agents[i];
    const held = this.held[i];
    const out: [number, number][] = [];
    for (const [s, e] of a.duty) {
      // Fullness changes only where a reservation starts or ends.
      const cuts = [s, e, ...held.flatMap(([hs, he]) => [hs, he]).filter((t) => t > s && t < e)].sort((x, y) => x - y);
      for (let k = 0; k + 1 < cuts.length; k++) {
        const [x, y] = [cuts[k], cuts[k + 1]];
        if (y <= x || held.filter(([hs, he]) => hs < y && he > x).length >= a.capacity) continue;
        const prev = out[out.length - 1];
        if (prev && prev[1] === x) prev[1] = y;
        else out.push([x, y]);
      }
    }
    this.freeCache[i] = out;
    return out;
  }

  /**
   * Every site's digest at `nowMs`, as gossip would carry it: per agent the free intervals that
   * reach into the next 24 h, at most 8 (with `unbounded`, all of them). Intervals are given
   * whole, not cut at now and at the horizon (the planner starts nothing before now), so an
   * agent whose free time has not changed keeps the same digest entry from one call to the
   * next, as it would in a mesh view that holds digests between updates.
   */
  members(nowMs: number, rnd: () => number, unbounded = false): MeshMember[] {
    const agentsOf: DigestAgent[][] = this.trace.sites.map(() => []);
    this.trace.agents.forEach((a, i) => {
      const all = this.allFree(i);
      let lo = 0;
      while (lo < all.length && all[lo][1] <= nowMs) lo++;
      let hi = lo;
      while (hi < all.length && (unbounded || (all[hi][0] < nowMs + FREE_HORIZON_MS && hi - lo < MAX_FREE_INTERVALS))) hi++;
      const onNow = lo < hi && all[lo][0] <= nowMs;
      const kept = this.entries[i];
      if (kept && kept.all === all && kept.lo === lo && kept.hi === hi && kept.onNow === onNow) {
        agentsOf[a.site].push(kept.entry);
        return;
      }
      const free = all.slice(lo, hi) as [number, number][];
      const entry: DigestAgent = {
        ref: a.ref,
        skills: a.skills,
        channels: a.channels,
        languages: a.languages,
        state: onNow ? "available" : "offline",
        expectedAvailableAtMs: free.length > 0 ? Math.max(nowMs, free[0][0]) : null,
        capacity: a.capacity,
        freeCapacity: onNow ? 1 : 0,
        free,
      };
      this.entries[i] = { all, lo, hi, onNow, entry };
      agentsOf[a.site].push(entry);
    });
    return this.trace.sites.map((s, i) => ({
      siteId: s.siteId,
      health: s.health,
      digest:
        s.health === "down"
          ? null
          : { version: 1, siteId: s.siteId, seq: 1, issuedAtMs: nowMs, ttlMs: DIGEST_TTL_MS, agents: agentsOf[i], skills: {} },
      digestAgeMs: s.health === "down" ? null : s.health === "stale" ? DIGEST_TTL_MS * 2 : Math.floor(rnd() * DIGEST_TTL_MS * 0.8),
    }));
  }

  siteLoad(): Record<string, number> {
    return Object.fromEntries(this.trace.sites.map((s, i) => [s.siteId, this.load[i]]));
  }
}

/**
 * Double bookings, counted without the planner: per agent, the reservations that exceed
 * its capacity at any instant, and those outside its free time.
 */
function replay(trace: Trace, rosters: Rosters): { overCapacity: number; offDuty: number } {
  let overCapacity = 0;
  let offDuty = 0;
  trace.agents.forEach((a, i) => {
    const held = rosters.held[i];
    for (const [s, e] of held) if (!a.duty.some(([ds, de]) => ds <= s && e <= de)) offDuty += 1;
    const edges = held.flatMap(([s, e]) => [[s, 1] as const, [e, -1] as const]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let n = 0;
    for (const [, d] of edges) {
      n += d;
      if (d > 0 && n > a.capacity) overCapacity += 1;
    }
  });
  return { overCapacity, offDuty };
}

// ---------------------------------------------------------------- running a mode

interface Figures {
  callbacks: number;
  placed: number;
  score: number;
  meetsLevel: number;
  speaksLanguage: number;
  languageAsked: number;
  asapWaitMs: number[];
  urgentPlaced: number;
  urgent: number;
  overCapacity: number;
  offDuty: number;
  calls: number;
}

interface JointFigures extends Figures {
  /** Batch values of the planner and of the exact solver, over the batches checked. */
  batchValue: number;
  exactValue: number;
  batches: number;
  batchRows: number[];
  /** Per plan call: milliseconds over the callbacks in it, and in all. */
  perCallback: Timing[];
  call: Timing[];
}

interface Singles {
  rank: Timing[];
  one: Timing[];
}

/**
 * Wall-clock milliseconds of a call: its first run, and the best of REPEATS runs. The
 * machine is shared (other processes take the cores at times), so the best of a few runs of
 * the same deterministic call is what the code costs; the first run is what it cost then.
 */
interface Timing {
  first: number;
  best: number;
}
const REPEATS = 3;

/** Each run on fresh digest objects: nothing a plan works out per digest carries over to the next run. */
function fresh(members: readonly MeshMember[]): MeshMember[] {
  return members.map((m) => (m.digest ? { ...m, digest: { ...m.digest } } : m));
}

function timeRuns(members: readonly MeshMember[], run: (members: readonly MeshMember[]) => unknown, first?: number): Timing {
  const times: number[] = first === undefined ? [] : [first];
  while (times.length < REPEATS) {
    const copy = fresh(members);
    const t = performance.now();
    run(copy);
    times.push(performance.now() - t);
  }
  return { first: times[0], best: Math.min(...times) };
}

function emptyJoint(): JointFigures {
  return { ...emptyFigures(), batchValue: 0, exactValue: 0, batches: 0, batchRows: [], perCallback: [], call: [] };
}

/** The joint plan, timed; the first run checks each batch against the exact optimum, and that check is taken out of its time. */
function planTimed(joint: JointFigures, needs: readonly CallbackNeed[], members: readonly MeshMember[], ctx: SchedulingContext, repeat = true): PlanResult {
  let exactMs = 0;
  const started = performance.now();
  const result = planWith(needs, members, ctx, {
    onBatch: (b) => {
      const t = performance.now();
      joint.exactValue += b.exact();
      exactMs += performance.now() - t;
      joint.batchValue += b.value;
      joint.batches += 1;
      joint.batchRows.push(b.rows);
    },
  });
  const firstMs = performance.now() - started - exactMs;
  const call = repeat ? timeRuns(members, (m) => planTogether(needs, m, ctx), firstMs) : { first: firstMs, best: firstMs };
  joint.call.push(call);
  joint.perCallback.push({ first: call.first / needs.length, best: call.best / needs.length });
  return result;
}

function ctxFor(trace: Trace, rosters: Rosters, nowMs: number, slotMs: number): SchedulingContext {
  return {
    nowMs,
    slotMs,
    siteIds: trace.sites.map((s) => s.siteId),
    costTier: Object.fromEntries(trace.sites.map((s) => [s.siteId, s.costTier])),
    siteLoad: rosters.siteLoad(),
    weights: { ...DEFAULT_WEIGHTS },
  };
}

function emptyFigures(): Figures {
  return {
    callbacks: 0,
    placed: 0,
    score: 0,
    meetsLevel: 0,
    speaksLanguage: 0,
    languageAsked: 0,
    asapWaitMs: [],
    urgentPlaced: 0,
    urgent: 0,
    overCapacity: 0,
    offDuty: 0,
    calls: 0,
  };
}

const agentsByRef = new WeakMap<Trace, Map<string, SimAgent>>();

/** Adds a plan call's placements to the figures: how many, their score, and how well they fit. */
function tally(f: Figures, trace: Trace, needs: readonly CallbackNeed[], result: PlanResult): void {
  let agentOf = agentsByRef.get(trace);
  if (!agentOf) agentsByRef.set(trace, (agentOf = new Map(trace.agents.map((a) => [a.ref, a]))));
  const placed = new Map(result.placements.map((p) => [p.callbackId, p]));
  for (const n of needs) {
    f.callbacks += 1;
    if (n.priority <= 2) f.urgent += 1;
    const p = placed.get(n.id);
    if (!p) continue;
    const a = agentOf.get(p.agentId) as SimAgent;
    f.placed += 1;
    f.score += p.score;
    if ((a.skills[n.skill] ?? 0) >= n.level) f.meetsLevel += 1;
    if (n.language) {
      f.languageAsked += 1;
      if (a.languages.includes(n.language)) f.speaksLanguage += 1;
    }
    if (n.asap) f.asapWaitMs.push(p.startMs - n.earliestMs);
    if (n.priority <= 2) f.urgentPlaced += 1;
  }
  f.calls += 1;
}

/** Plans the trace as the cloud would, a call every batchMs; the joint plan and greedy each on their own rosters. */
function runArrivals(trace: Trace, o: Options): { joint: JointFigures; greedy: Figures; singles: Singles } {
  const jointRosters = new Rosters(trace, o.slotMs);
  const greedyRosters = new Rosters(trace, o.slotMs);
  const joint = emptyJoint();
  const greedy = emptyFigures();
  const singles: Singles = { rank: [], one: [] };
  const calls: { nowMs: number; needs: CallbackNeed[] }[] = [];
  for (const cb of trace.callbacks) {
    const nowMs = Math.ceil((cb.arrivalMs + 1) / o.batchMs) * o.batchMs;
    const last = calls[calls.length - 1];
    if (last && last.nowMs === nowMs) last.needs.push(cb.need);
    else calls.push({ nowMs, needs: [cb.need] });
  }
  const singleEvery = o.singles > 0 ? Math.max(1, Math.floor(calls.length / o.singles)) : Number.POSITIVE_INFINITY;
  const rnd = prng(o.seed);
  calls.forEach(({ nowMs, needs }, k) => {
    const members = jointRosters.members(nowMs, rnd);
    const ctx = ctxFor(trace, jointRosters, nowMs, o.slotMs);
    const result = planTimed(joint, needs, members, ctx);
    tally(joint, trace, needs, result);
    // A callback planned alone on the full mesh, as the cloud does when one arrives.
    if (k % singleEvery === 0 && singles.rank.length < o.singles) {
      singles.rank.push(timeRuns(members, (m) => rankFor(needs[0], m, ctx)));
      singles.one.push(timeRuns(members, (m) => planTogether([needs[0]], m, ctx)));
    }
    jointRosters.hold(result);

    const gResult = planGreedy(needs, greedyRosters.members(nowMs, rnd), ctxFor(trace, greedyRosters, nowMs, o.slotMs));
    tally(greedy, trace, needs, gResult);
    greedyRosters.hold(gResult);
  });
  Object.assign(joint, replay(trace, jointRosters));
  Object.assign(greedy, replay(trace, greedyRosters));
  return { joint, greedy, singles };
}

/** The whole day known at midnight: one planTogether call, and greedy in order of arrival. */
function runDay(trace: Trace, o: Options): { joint: JointFigures; greedy: Figures } {
  const needs = trace.callbacks.map((c) => c.need);
  const jointRosters = new Rosters(trace, o.slotMs);
  const joint = emptyJoint();
  // One long call, timed once: the time goal is for calls as callbacks arrive.
  const result = planTimed(joint, needs, jointRosters.members(D0, prng(o.seed), true), ctxFor(trace, jointRosters, D0, o.slotMs), false);
  tally(joint, trace, needs, result);
  jointRosters.hold(result);
  Object.assign(joint, replay(trace, jointRosters));

  const greedyRosters = new Rosters(trace, o.slotMs);
  const gResult = planGreedy(needs, greedyRosters.members(D0, prng(o.seed), true), ctxFor(trace, greedyRosters, D0, o.slotMs));
  const greedy = emptyFigures();
  tally(greedy, trace, needs, gResult);
  greedyRosters.hold(gResult);
  Object.assign(greedy, replay(trace, greedyRosters));
  return { joint, greedy };
}

// ---------------------------------------------------------------- reporting

function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}
const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const pct = (a: number, b: number) => (b === 0 ? "—" : `${fixed((100 * a) / b)}%`);
const label = (s: TraceSpec) => `${s.sites}×${s.agentsPerSite}×${s.callbacks} @${s.freeShare}`;

function quality(f: Figures) {
  return {
    callbacks: f.callbacks,
    placed: f.placed,
    placedShare: round(f.placed / f.callbacks, 4),
    score: round(f.score, 2),
    meetsLevelShare: round(f.meetsLevel / Math.max(1, f.placed), 4),
    languageShare: round(f.speaksLanguage / Math.max(1, f.languageAsked), 4),
    urgentPlacedShare: round(f.urgentPlaced / Math.max(1, f.urgent), 4),
    asapMeanWaitMin: round(mean(f.asapWaitMs) / MIN, 2),
    overCapacity: f.overCapacity,
    offDuty: f.offDuty,
    calls: f.calls,
  };
}

function revision(): { commit: string | null; uncommittedChanges: string[] } {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: join(import.meta.dirname, ".."), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  try {
    const changed = git("status", "--porcelain", "--", "objects/callback-cloud/scheduling", "bench/scheduler.ts")
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => l.slice(3));
    return { commit: git("rev-parse", "HEAD").trim(), uncommittedChanges: changed };
  } catch {
    return { commit: null, uncommittedChanges: [] };
  }
}

export async function main(args: string[]): Promise<number> {
  const options = readOptions("scheduler", HELP, () => parseOptions(args));
  if (typeof options === "number") return options;
  const started = performance.now();
  console.log(
    `scheduler bench: traces ${options.traces.map(label).join(", ")}; a plan call every ${options.batchMs / MIN} min in arrival mode; ` +
      `slot ${options.slotMs / MIN} min; seed ${options.seed}`,
  );

  const qualityRows: string[][] = [];
  const timeRows: string[][] = [];
  const results: Record<string, unknown>[] = [];
  let goalMet = true;
  for (const spec of options.traces) {
    const t0 = performance.now();
    const trace = makeTrace(spec, options.seed);
    const up = trace.sites.filter((s) => s.health === "up").length;
    console.log(`\n${label(spec)}: ${trace.agents.length} agents at ${spec.sites} sites (${up} up), ${trace.callbacks.length} callbacks`);
    const modes: [string, () => { joint: JointFigures; greedy: Figures; singles?: Singles }][] = [[`arrivals`, () => runArrivals(trace, options)]];
    if (options.day) modes.push(["day", () => runDay(trace, options)]);
    for (const [mode, run] of modes) {
      const m0 = performance.now();
      const { joint, greedy, singles } = run();
      const doubles = joint.overCapacity + joint.offDuty;
      const optimum = joint.batchValue / joint.exactValue;
      const best = (xs: readonly Timing[]) => xs.map((x) => x.best);
      const first = (xs: readonly Timing[]) => xs.map((x) => x.first);
      const p99 = percentile(best(joint.perCallback), 0.99);
      const oneP99 = singles ? percentile(best(singles.one), 0.99) : Number.NaN;
      // The time goal is the cloud's own calls at 50 × 200: plans as callbacks arrive, and one alone on the full mesh.
      const timed = mode === "arrivals" && spec.sites * spec.agentsPerSite >= 10_000;
      goalMet &&=
        optimum >= GOAL.minOptimumRatio &&
        doubles === 0 &&
        greedy.overCapacity + greedy.offDuty === 0 &&
        (!timed || (p99 <= GOAL.maxP99Ms && oneP99 <= GOAL.maxP99Ms));
      console.log(`  ${mode}: ${fixed((performance.now() - m0) / 1000)} s (with greedy and the exact checks)`);
      qualityRows.push([
        label(spec),
        mode,
        `${pct(joint.placed, joint.callbacks)} / ${pct(greedy.placed, greedy.callbacks)}`,
        fixed(optimum, 4),
        fixed(joint.score / greedy.score, 4),
        `${doubles} / ${greedy.overCapacity + greedy.offDuty}`,
        `${pct(joint.meetsLevel, joint.placed)} / ${pct(greedy.meetsLevel, greedy.placed)}`,
        `${pct(joint.urgentPlaced, joint.urgent)} / ${pct(greedy.urgentPlaced, greedy.urgent)}`,
        `${fixed(mean(joint.asapWaitMs) / MIN)} / ${fixed(mean(greedy.asapWaitMs) / MIN)}`,
      ]);
      const pair = (xs: readonly number[], digits: number) => `${fixed(percentile(xs, 0.5), digits)} / ${fixed(percentile(xs, 0.99), digits)}`;
      timeRows.push([
        label(spec),
        mode,
        String(joint.calls),
        fixed(mean(joint.batchRows), 1),
        pair(best(joint.perCallback), 2),
        pair(first(joint.perCallback), 2),
        fixed(percentile(best(joint.call), 0.99), 1),
        singles ? pair(best(singles.rank), 2) : "—",
        singles ? pair(best(singles.one), 2) : "—",
        singles ? pair(first(singles.one), 2) : "—",
      ]);
      const ms = (xs: readonly number[]) => ({ p50: round(percentile(xs, 0.5), 4), p99: round(percentile(xs, 0.99), 4), max: round(Math.max(...xs), 4) });
      results.push({
        trace: spec,
        mode,
        agents: trace.agents.length,
        sitesUp: up,
        joint: {
          ...quality(joint),
          optimumRatio: round(optimum, 5),
          batches: joint.batches,
          meanBatchRows: round(mean(joint.batchRows), 2),
          maxBatchRows: Math.max(...joint.batchRows),
          perCallbackMs: ms(best(joint.perCallback)),
          perCallbackFirstRunMs: ms(first(joint.perCallback)),
          callMs: ms(best(joint.call)),
          callFirstRunMs: ms(first(joint.call)),
        },
        greedy: quality(greedy),
        jointOverGreedy: round(joint.score / greedy.score, 5),
        ...(singles
          ? {
              singleCallback: {
                calls: singles.rank.length,
                rankForMs: ms(best(singles.rank)),
                rankForFirstRunMs: ms(first(singles.rank)),
                planTogetherOneMs: ms(best(singles.one)),
                planTogetherOneFirstRunMs: ms(first(singles.one)),
              },
            }
          : {}),
      });
    }
    console.log(`  trace done in ${fixed((performance.now() - t0) / 1000)} s`);
  }

  console.log("\nquality (joint plan / greedy baseline):");
  console.log(
    table(
      ["trace", "mode", "placed in window", "× exact optimum", "× greedy score", "double bookings", "agent meets level", "urgent placed", "asap wait min"],
      qualityRows,
    ),
  );
  console.log(`\nplanning time of the joint plan, ms, p50 / p99, best of ${REPEATS} runs (the exact checks are not counted):`);
  console.log(
    table(
      ["trace", "mode", "plan calls", "mean batch", "per callback", "(first run)", "call p99", "rankFor", "plan([one])", "(first run)"],
      timeRows,
    ),
  );
  console.log(
    [
      "",
      "trace: sites × agents per site × callbacks, @ the share of a shift agents are free for callbacks.",
      "mode: arrivals = a plan call every " + String(options.batchMs / MIN) + " min for the callbacks that arrived since (digests ≤ 8 free",
      "  intervals, ≤ 24 h ahead); day = the whole day's callbacks in one call at midnight (every free interval given).",
      "× exact optimum: the planner's total score over the exact optimum of the same batches (the callbacks planned",
      "  together), solved with every option of every callback; pruning each to its n best agents (n = callbacks in",
      "  the batch) provably keeps the optimum, so this checks the implementation. It is not an optimum across",
      "  batches or calls. × greedy score: total score of all placements, joint over greedy (first come, best free agent).",
      "double bookings: reservations over an agent's capacity or outside its free time, found by replaying every",
      "  placement against the generated rosters, independently of the planner (joint / greedy).",
      `per callback: each plan call's time over the callbacks in it, the best of ${REPEATS} runs of the same call on`,
      "  fresh digest objects (the machine is shared: the best run is what the code costs), and (first run) the",
      "  time of its first run alone. rankFor / plan([one]): one callback alone on the full mesh, as the cloud",
      "  plans a request when it arrives. The goal is judged on the best runs.",
      "These figures go in the README's Performance section.",
    ].join("\n"),
  );
  console.log(
    `\ngoal (≥ ${GOAL.minOptimumRatio} of the exact optimum, ${GOAL.doubleBookings} double bookings, p99 ≤ ${GOAL.maxP99Ms} ms per callback at 50 × 200): ${goalMet ? "met" : "MISSED"}`,
  );
  const result = {
    bench: "scheduler",
    at: new Date().toISOString(),
    machine: machine(),
    code: revision(),
    settings: {
      traces: options.traces,
      batchMin: options.batchMs / MIN,
      slotMin: options.slotMs / MIN,
      singles: options.singles,
      seed: options.seed,
      weights: DEFAULT_WEIGHTS,
    },
    goal: GOAL,
    runs: results,
    goalMet,
    runSeconds: round((performance.now() - started) / 1000, 1),
  };
  const file = await writeResult("scheduler", result);
  console.log(`written to ${file} (run took ${fixed(result.runSeconds)} s)`);
  return goalMet ? 0 : 1;
}
