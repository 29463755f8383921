/**
 * The mesh as a plan sees it: the agents of the provider's healthy sites, the intervals
 * in which each can take one more callback, and who qualifies for a need.
 *
 * An agent who can take several callbacks at once (capacity above 1) is planned as that
 * many lanes: lane k is free wherever the digest says more than k units are free, so a
 * plan never stacks more on an agent than its free units, and the assignment sees each
 * unit as a column of its own.
 */
import type { Digest, DigestAgent } from "../../../federation/wire/digest.ts";
import type { MeshMember } from "../../../federation/runtime/mesh-view.ts";
import { covers, earliestFit, withSpan } from "./intervals.ts";
import type { CallbackNeed, Interval, SchedulingContext } from "./types.ts";

export interface SiteInfo {
  siteId: string;
  digest: Digest;
  /** Position in the provider's preference order: ties go to the lower. */
  rank: number;
  /** The freshness term: 1 for a digest just issued, 0 at its time to live. */
  freshness: number;
  costTier: number;
  /** Callbacks held at the site before this plan, and agents it shares. */
  held: number;
  agents: number;
  /** Callbacks this plan has placed there so far. */
  placed: number;
  /** The agent position ties start from (SchedulingContext.tieStart). */
  tieOffset: number;
  /** This plan's view of the digest's agents (one per lane), by position, made when first needed. */
  planned: (MeshAgent[] | undefined)[];
}

export interface MeshAgent {
  /** Site rank, then position in its digest, then lane: the order ties are broken in. */
  order: number;
  /** Which of the agent's units this is (0 for an agent of capacity 1). */
  lane: number;
  site: SiteInfo;
  agent: DigestAgent;
  /** When it can take a callback, less what this plan has placed on it. */
  free: readonly Interval[];
}

export interface Mesh {
  /** The provider's sites that are up, in its order of preference. */
  sites: SiteInfo[];
  /** Candidates by `${skill}\n${channel}`, filled on first use. */
  byKind: Map<string, MeshAgent[]>;
}

/**
 * What a plan looks up in a digest, worked out once per digest (digests are never changed
 * once received, so this is a cache, not state): positions of the agents of each kind, and
 * of each ref.
 */
interface DigestIndex {
  byKind: Map<string, number[]>;
  byRef: Map<string, number> | null;
}
const indexes = new WeakMap<Digest, DigestIndex>();

function indexOf(digest: Digest): DigestIndex {
  let index = indexes.get(digest);
  if (!index) indexes.set(digest, (index = { byKind: new Map(), byRef: null }));
  return index;
}

/** Positions of the digest's agents with the skill (at any level) and the channel. */
function kindIn(digest: Digest, skill: string, channel: string): number[] {
  const index = indexOf(digest);
  const key = `${skill}\n${channel}`;
  let list = index.byKind.get(key);
  if (!list) {
    list = [];
    digest.agents.forEach((a, i) => {
      if ((a.skills[skill] ?? 0) >= 1 && (a.channels as readonly string[]).includes(channel)) list?.push(i);
    });
    index.byKind.set(key, list);
  }
  return list;
}

/**
 * The agent's free intervals as the digest tells them, one list per lane: lane k is free
 * where more than k units are. A null end (no shift) is open-ended; a digest without
 * `free` is read as one unit free from its expected availability on.
 */
export function lanesOf(a: DigestAgent): Interval[][] {
  // A digest is read for a second or so (the mesh view keeps it): its agents' lanes are worked out once, not per offer.
  let lanes = laneMemo.get(a);
  if (!lanes) {
    lanes = lanesFrom(a);
    laneMemo.set(a, lanes);
  }
  return lanes;
}

/** Lanes by agent, for as long as the digest holding the agent lives (no caller changes either). */
const laneMemo = new WeakMap<DigestAgent, Interval[][]>();

function lanesFrom(a: DigestAgent): Interval[][] {
  if (!a.free) return [a.expectedAvailableAtMs === null ? [] : [[a.expectedAvailableAtMs, Number.POSITIVE_INFINITY]]];
  // The usual digest (one unit, every end known) is used as it is, with no copy: plans read thousands of agents.
  if (a.free.every((span) => span.length === 2 && span[1] !== null)) return [a.free as unknown as Interval[]];
  const units = Math.max(1, ...a.free.map((span) => span[2] ?? 1));
  const lanes: Interval[][] = Array.from({ length: units }, () => []);
  for (const [s, e, n = 1] of a.free) {
    for (let k = 0; k < n; k++) {
      const lane = lanes[k] as Interval[];
      const last = lane[lane.length - 1];
      const end = e ?? Number.POSITIVE_INFINITY;
      // Spans that touch (a unit freed where another is taken) make one interval on a lane.
      if (last && last[1] === s) lane[lane.length - 1] = [last[0], end];
      else lane.push([s, end]);
    }
  }
  return lanes;
}

function lanesAt(site: SiteInfo, i: number): MeshAgent[] {
  let lanes = site.planned[i];
  if (!lanes) {
    const agent = site.digest.agents[i] as DigestAgent;
    const position = (i - site.tieOffset + site.agents) % Math.max(1, site.agents);
    lanes = lanesOf(agent).map((free, lane) => ({ order: (site.rank * 65_536 + position) * 32 + lane, lane, site, agent, free }));
    site.planned[i] = lanes;
  }
  return lanes;
}

/**
 * The provider's sites that are up (stale and down ones are not planned on: what they say
 * may no longer hold). Each `current` hold of the needs is handed back to its agent's free
 * time: a re-plan may keep it, or give it to another callback of the plan.
 */
export function meshOf(members: readonly MeshMember[], ctx: SchedulingContext, needs: readonly CallbackNeed[]): Mesh {
  const byId = new Map<string, MeshMember>();
  for (const m of members) byId.set(m.siteId, m);
  const sites: SiteInfo[] = [];
  const seen = new Set<string>();
  ctx.siteIds.forEach((siteId, rank) => {
    const m = byId.get(siteId);
    if (!m || m.health !== "up" || !m.digest || seen.has(siteId)) return;
    seen.add(siteId);
    const age = m.digestAgeMs ?? m.digest.ttlMs / 2;
    sites.push({
      siteId,
      digest: m.digest,
      rank,
      freshness: 1 - Math.min(1, Math.max(0, age / m.digest.ttlMs)),
      costTier: Math.min(3, Math.max(0, ctx.costTier?.[siteId] ?? 0)),
      held: Math.max(0, ctx.siteLoad?.[siteId] ?? 0),
      agents: m.digest.agents.length,
      placed: 0,
      tieOffset: Math.floor(Math.min(1, Math.max(0, ctx.tieStart ?? 0)) * m.digest.agents.length) % Math.max(1, m.digest.agents.length),
      planned: [],
    });
  });
  const mesh: Mesh = { sites, byKind: new Map() };
  for (const need of needs) {
    const cur = need.current;
    if (!cur) continue;
    // The hold took one unit: it goes back to the first lane that is not free over it.
    const lanes = findAgent(mesh, cur.siteId, cur.agentId);
    const end = cur.startMs + ctx.slotMs;
    const a = lanes.find((l) => !covers(l.free, cur.startMs, end)) ?? lanes[0];
    if (a) a.free = withSpan(a.free, cur.startMs, end);
  }
  return mesh;
}

/** The agent's lanes (none when the site or the agent is not in the plan). */
export function findAgent(mesh: Mesh, siteId: string, agentId: string): MeshAgent[] {
  const site = mesh.sites.find((s) => s.siteId === siteId);
  if (!site) return [];
  const index = indexOf(site.digest);
  index.byRef ??= new Map(site.digest.agents.map((a, i) => [a.ref, i]));
  const i = index.byRef.get(agentId);
  return i === undefined ? [] : lanesAt(site, i);
}

/** Agents who may take the need: the skill at any level, the channel, at a site the need does not exclude. */
export function candidatesFor(mesh: Mesh, need: CallbackNeed): MeshAgent[] {
  const key = `${need.skill}\n${need.channel}`;
  let list = mesh.byKind.get(key);
  if (!list) {
    list = [];
    for (const site of mesh.sites) for (const i of kindIn(site.digest, need.skill, need.channel)) list.push(...lanesAt(site, i));
    mesh.byKind.set(key, list);
  }
  const excluded = need.excludeSites;
  return excluded && excluded.length > 0 ? list.filter((a) => !excluded.includes(a.site.siteId)) : list;
}

/**
 * The earliest start of the need on the agent, inside its window, or null. The start is the
 * earliest instant at which the agent is free for a whole slot (not a grid point). A callback
 * that already holds this agent keeps its own start when that is still inside its window:
 * keeping means keeping the reservation as it is.
 */
export function startOn(need: CallbackNeed, a: MeshAgent, ctx: SchedulingContext): number | null {
  const from = Math.max(need.earliestMs, ctx.nowMs);
  const cur = need.current;
  if (
    cur &&
    cur.agentId === a.agent.ref &&
    cur.siteId === a.site.siteId &&
    cur.startMs >= from &&
    cur.startMs <= need.latestStartMs &&
    covers(a.free, cur.startMs, cur.startMs + ctx.slotMs)
  ) {
    return cur.startMs;
  }
  return earliestFit(a.free, from, need.latestStartMs, ctx.slotMs);
}

/** The earliest start after the need's window at which one of the agents is free, or null. */
export function earliestOutside(need: CallbackNeed, agents: readonly MeshAgent[], ctx: SchedulingContext): number | null {
  const from = Math.max(need.latestStartMs + 1, need.earliestMs, ctx.nowMs);
  let best: number | null = null;
  for (const a of agents) {
    const s = earliestFit(a.free, from, Number.POSITIVE_INFINITY, ctx.slotMs);
    if (s !== null && (best === null || s < best)) best = s;
  }
  return best;
}
