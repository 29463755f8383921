/**
 * A site's roster: its resources, their states, shifts and reservations. The only
 * authority on who takes which callback. Its alarm is the heartbeat monitor (and
 * sweeps reservations that were never claimed).
 */
import { DurableObject } from "cloudflare:workers";
import type { Digest } from "../../federation/digest.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { fail, ok, type Result } from "../shared/problem.ts";
import { migrate, sqlOf, type Sql } from "../shared/sql.ts";
import { expectedAvailableAt, freeCapacity, isActive, slotCapacity } from "./availability.ts";
import { digestOf } from "./digest-of.ts";
import { agentIdsRefs, agentPageRows, agentRowsByRef, reservationPageRows, type AgentPageQuery, type ReservationPageQuery } from "./graph-reads.ts";
import { ROSTER_MIGRATIONS } from "./migrations.ts";
import type { AgentInput, AvailabilityQuery, Reservation, ReservationInput, ReservationStatus, Resource, StatusReport } from "./model.ts";
import { checkTransition, isMonitored, MONITORED_STATES } from "./state-machine.ts";
import type { AgentView, ReservationView, SlotView } from "./views.ts";
import type { AgentState, Channel } from "../../federation/vocabulary.ts";

export type { AgentView, ReservationView, SlotView } from "./views.ts";

export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;
/** Four seconds: with a refresh every second, three lost refreshes in a row before a site looks stale, and a dead site is stale for everyone within five. */
export const DEFAULT_DIGEST_TTL_MS = 4_000;
const LIST_LIMIT = 1000;
/** Upcoming reservations per agent that views and estimates look at. */
const PER_AGENT_LIMIT = 200;

/** An agent as the site subgraph shows it: its view, free capacity over the next slot, upcoming reservations. */
export interface GraphAgent extends AgentView {
  freeCapacity: number;
  reservations: ReservationView[];
}
/** "Free capacity" in the subgraph looks over the next slot, as the digest does. */
const GRAPH_SLOT_MS = 15 * 60_000;
const GRAPH_RESERVATIONS_PER_AGENT = 20;

type ResourceRow = {
  id: string;
  ref: string;
  kind: string;
  name: string;
  skills: string;
  channels: string;
  languages: string;
  capacity: number;
  exposure: string;
  shift: string | null;
  state: string;
  until_ms: number | null;
  last_report_at_ms: number | null;
  updated_at_ms: number;
};

type ReservationRow = {
  id: string;
  callback_id: string;
  agent_id: string;
  skill: string;
  channel: string;
  start_ms: number;
  end_ms: number;
  status: string;
  expires_at_ms: number;
  created_at_ms: number;
};

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
/** Bound as one JSON parameter and expanded by SQLite, so the list stays parameterised. */
const MONITORED_JSON = JSON.stringify(MONITORED_STATES);

/** What the roster reads of its site Worker's bindings (the Worker's env extends it). */
export interface RosterEnv {
  SITE_ID: string;
  HEARTBEAT_TIMEOUT_MS?: string;
  DIGEST_TTL_MS?: string;
}

export class Roster extends DurableObject<RosterEnv> {
  /** Replaced by tests (through runInDurableObject) to move time. */
  clock: Clock = systemClock;
  private readonly sql: Sql;
  /** Mirror of the stored alarm, so a status report need not read it. */
  private alarmAtMs: number | null = null;
  /**
   * Which version of the roster the last digest described, so the peer's frequent
   * polls cost nothing while nothing changed. Memory only: a restart starts a new
   * epoch, which reads as "changed", which is safe.
   */
  private readonly epoch = crypto.randomUUID().slice(0, 8);
  private revision = 0;

  constructor(ctx: DurableObjectState, env: RosterEnv) {
    super(ctx, env);
    this.sql = sqlOf(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, ROSTER_MIGRATIONS, this.clock.now());
      this.alarmAtMs = await ctx.storage.getAlarm();
      // An alarm lost to a restart comes back here.
      await this.rearm();
    });
  }

  private get siteId(): string {
    return this.env.SITE_ID;
  }

  private get heartbeatTimeoutMs(): number {
    return positiveInt(this.env.HEARTBEAT_TIMEOUT_MS) ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  }

  // ---- resources -------------------------------------------------------------------------

  async upsertAgent(id: string, input: AgentInput): Promise<Result<{ agent: AgentView; created: boolean }>> {
    const now = this.clock.now();
    const existing = this.findResource(id);
    const shift = input.shift ? JSON.stringify(input.shift) : null;
    if (existing) {
      this.sql`UPDATE resources SET kind = ${input.kind}, name = ${input.name}, skills = ${JSON.stringify(input.skills)},
        channels = ${JSON.stringify(input.channels)}, languages = ${JSON.stringify(input.languages)},
        capacity = ${input.capacity}, exposure = ${input.exposure}, shift = ${shift}, updated_at_ms = ${now}
        WHERE id = ${id}`;
    } else {
      this.sql`INSERT INTO resources (id, ref, kind, name, skills, channels, languages, capacity, exposure, shift, state, updated_at_ms)
        VALUES (${id}, ${newRef()}, ${input.kind}, ${input.name}, ${JSON.stringify(input.skills)}, ${JSON.stringify(input.channels)},
        ${JSON.stringify(input.languages)}, ${input.capacity}, ${input.exposure}, ${shift}, 'offline', ${now})`;
    }
    this.changed();
    return ok({ agent: this.view(this.mustFind(id), now), created: !existing });
  }

  async removeAgent(id: string): Promise<Result<null>> {
    const now = this.clock.now();
    const r = this.findResource(id);
    if (!r) return notFoundAgent(id);
    const held = this.reservationsOf([r.id], now).get(r.id) ?? [];
    if (held.length > 0) {
      return fail(409, "agent_has_reservations", "the agent holds reservations; release them first", {
        reservations: held.map((x) => x.id),
      });
    }
    this.ctx.storage.transactionSync(() => {
      this.sql`DELETE FROM reservations WHERE agent_id = ${id}`;
      this.sql`DELETE FROM resources WHERE id = ${id}`;
    });
    this.changed();
    return ok(null);
  }

  async getAgent(id: string): Promise<Result<AgentView>> {
    const r = this.findResource(id);
    return r ? ok(this.view(r, this.clock.now())) : notFoundAgent(id);
  }

  async listAgents(): Promise<AgentView[]> {
    const now = this.clock.now();
    const resources = this.allResources();
    const held = this.reservationsOf(
      resources.map((r) => r.id),
      now,
    );
    return resources.map((r) => this.view(r, now, held.get(r.id) ?? []));
  }

  // ---- monitoring ------------------------------------------------------------------------

  /** A status report: a legal move of the state machine, and a heartbeat. */
  async reportStatus(id: string, report: StatusReport): Promise<Result<AgentView>> {
    const now = this.clock.now();
    const r = this.findResource(id);
    if (!r) return notFoundAgent(id);
    const check = checkTransition(r.state, report.state);
    if (!check.legal) {
      return fail(409, "illegal_transition", `an agent cannot go from ${r.state} to ${report.state}`, {
        from: r.state,
        to: report.state,
        allowed: check.allowed,
      });
    }
    const untilMs = report.until === undefined ? null : Date.parse(report.until);
    if (untilMs !== null && untilMs <= now) {
      return fail(400, "invalid_request", "`until` must be in the future", { fields: [{ path: "until", message: "in the past" }] });
    }
    this.sql`UPDATE resources SET state = ${report.state}, until_ms = ${untilMs}, last_report_at_ms = ${now}, updated_at_ms = ${now}
      WHERE id = ${id}`;
    if (isMonitored(report.state)) await this.ensureAlarmBy(now + this.heartbeatTimeoutMs);
    this.changed();
    return ok(this.view({ ...r, state: report.state, untilMs, lastReportAtMs: now, updatedAtMs: now }, now));
  }

  /** A heartbeat: one row written, nothing else (the pending alarm already covers it). */
  async heartbeat(id: string): Promise<Result<null>> {
    const written = this.sql`UPDATE resources SET last_report_at_ms = ${this.clock.now()} WHERE id = ${id}`.rowsWritten;
    return written > 0 ? ok(null) : notFoundAgent(id);
  }

  async alarm(): Promise<void> {
    const now = this.clock.now();
    const deadline = now - this.heartbeatTimeoutMs;
    this.sql`UPDATE resources SET state = 'unreachable', until_ms = NULL, updated_at_ms = ${now}
      WHERE state IN (SELECT value FROM json_each(${MONITORED_JSON})) AND coalesce(last_report_at_ms, 0) <= ${deadline}`;
    this.sql`UPDATE reservations SET status = 'expired' WHERE status = 'held' AND expires_at_ms <= ${now}`;
    this.changed();
    this.alarmAtMs = null;
    await this.rearm();
  }

  // ---- availability ----------------------------------------------------------------------

  async availability(q: AvailabilityQuery): Promise<SlotView[]> {
    const now = this.clock.now();
    const slotMs = q.slotMinutes * 60_000;
    const from = Math.floor(Date.parse(q.from) / slotMs) * slotMs;
    const eligible = this.servingResources(q.skill, q.channel);
    const held = this.reservationsOf(
      eligible.map((r) => r.id),
      now,
    );
    return slotCapacity(eligible, (id) => held.get(id) ?? [], now, from, Date.parse(q.to), slotMs).map((s) => ({
      start: iso(s.startMs) as string,
      end: iso(s.endMs) as string,
      capacity: s.capacity,
    }));
  }

  // ---- reservations ----------------------------------------------------------------------

  /**
   * Reserves one agent for one callback over [start, end). Runs without awaiting
   * between its read and its write, so concurrent requests are serialised by the
   * object: never above capacity.
   */
  async reserve(input: ReservationInput): Promise<Result<ReservationView>> {
    const now = this.clock.now();
    const startMs = Date.parse(input.start);
    const endMs = Date.parse(input.end);
    if (endMs <= now) {
      return fail(400, "invalid_request", "the window is already over", { fields: [{ path: "end", message: "in the past" }] });
    }
    const prior = this.sql<ReservationRow>`SELECT * FROM reservations WHERE callback_id = ${input.callbackId}
      AND status IN ('held', 'claimed') LIMIT ${LIST_LIMIT}`
      .toArray()
      .map(toReservation)
      .find((x) => isActive(x, now));
    if (prior) {
      const same = prior.skill === input.skill && prior.startMs === startMs && prior.endMs === endMs;
      if (same) return ok(this.reservationView(prior, now));
      return fail(409, "callback_already_reserved", "this callback already holds another reservation here", {
        reservation: prior.id,
      });
    }

    let candidates: Resource[];
    if (input.agentId !== undefined) {
      const r = this.findByRef(input.agentId);
      if (!r || r.exposure === "internal") return notFoundAgent(input.agentId);
      if (!(r.skills[input.skill] > 0) || !r.channels.includes(input.channel)) {
        return fail(409, "agent_cannot_serve", "the agent lacks that skill or channel", {
          skill: input.skill,
          channel: input.channel,
        });
      }
      candidates = [r];
    } else {
      candidates = this.servingResources(input.skill, input.channel).sort(
        (a, b) => b.skills[input.skill] - a.skills[input.skill] || a.id.localeCompare(b.id),
      );
    }
    // Only reservations overlapping the window matter here, read whole (not the capped list views use).
    const chosen = candidates.find((r) => freeCapacity(r, this.overlapping(r.id, startMs, endMs, now), now, startMs, endMs) > 0);
    if (!chosen) {
      return fail(409, "no_capacity", "no agent here has free capacity for that window", {
        skill: input.skill,
        channel: input.channel,
        start: input.start,
        end: input.end,
        ...(input.agentId ? { agentId: input.agentId } : {}),
      });
    }
    const expiresAtMs = input.holdSeconds ? Math.min(endMs, now + input.holdSeconds * 1000) : endMs;
    const reservation: Reservation = {
      id: `rsv_${crypto.randomUUID().replaceAll("-", "")}`,
      callbackId: input.callbackId,
      agentId: chosen.id,
      skill: input.skill,
      channel: input.channel,
      startMs,
      endMs,
      status: "held",
      expiresAtMs,
      createdAtMs: now,
    };
    this.sql`INSERT INTO reservations (id, callback_id, agent_id, skill, channel, start_ms, end_ms, status, expires_at_ms, created_at_ms)
      VALUES (${reservation.id}, ${reservation.callbackId}, ${reservation.agentId}, ${reservation.skill}, ${reservation.channel},
      ${startMs}, ${endMs}, 'held', ${expiresAtMs}, ${now})`;
    await this.ensureAlarmBy(expiresAtMs);
    this.changed();
    return ok(this.reservationView(reservation, now, chosen.ref));
  }

  async getReservation(id: string): Promise<Result<ReservationView>> {
    const r = this.findReservation(id);
    return r ? ok(this.reservationView(r, this.clock.now())) : notFoundReservation(id);
  }

  /** The session manager confirms a reservation at callback time. Claiming twice is harmless. */
  async claim(id: string): Promise<Result<ReservationView>> {
    const now = this.clock.now();
    const r = this.findReservation(id);
    if (!r) return notFoundReservation(id);
    const status = effectiveStatus(r, now);
    if (status === "claimed") return ok(this.reservationView(r, now));
    if (status !== "held") {
      return fail(409, `reservation_${status}`, `the reservation is ${status} and cannot be claimed`, { status });
    }
    this.sql`UPDATE reservations SET status = 'claimed' WHERE id = ${id}`;
    this.changed();
    return ok(this.reservationView({ ...r, status: "claimed" }, now));
  }

  /** Gives the agent back. Releasing twice, or an expired reservation, is harmless. */
  async release(id: string): Promise<Result<ReservationView>> {
    const now = this.clock.now();
    const r = this.findReservation(id);
    if (!r) return notFoundReservation(id);
    const status = effectiveStatus(r, now);
    if (status === "released" || status === "expired") return ok(this.reservationView({ ...r, status }, now));
    this.sql`UPDATE reservations SET status = 'released' WHERE id = ${id}`;
    this.changed();
    return ok(this.reservationView({ ...r, status: "released" }, now));
  }

  // ---- federation ------------------------------------------------------------------------

  /** The roster's current revision, for `digestUnless`. */
  async revisionTag(): Promise<string> {
    return `${this.epoch}-${this.revision}`;
  }

  /** The digest, or nothing when the roster is still at revision `tag` (the peer already has it). */
  async digestUnless(tag: string | null): Promise<{ tag: string; digest: Digest | null }> {
    const current = await this.revisionTag();
    return { tag: current, digest: tag === current ? null : await this.digest() };
  }

  async digest(): Promise<Digest> {
    const now = this.clock.now();
    const resources = this.allResources();
    const held = this.reservationsOf(
      resources.map((r) => r.id),
      now,
    );
    // Every digest issued is a new message: its sequence grows even when nothing changed,
    // so a refresh is never mistaken for a replay.
    const seq = this.sql<{ value: number }>`UPDATE meta SET value = value + 1 WHERE key = 'digest_seq' RETURNING value`.one().value;
    const ttl = positiveInt(this.env.DIGEST_TTL_MS) ?? DEFAULT_DIGEST_TTL_MS;
    return digestOf(this.siteId, seq, ttl, resources, (id) => held.get(id) ?? [], now);
  }

  // ---- graph reads (the site subgraph; the queries live in graph-reads.ts) ----------------

  /** One page of agents ordered by ref, each with its free capacity now and its upcoming reservations. */
  async graphAgents(q: AgentPageQuery): Promise<GraphAgent[]> {
    return this.graphViews(agentPageRows(this.sql, q) as ResourceRow[]);
  }

  /** Agents by ref, in the order asked; null for one not here (or internal, unless `includeInternal`). */
  async graphAgentsByRef(refs: string[], includeInternal: boolean): Promise<(GraphAgent | null)[]> {
    const found = new Map(this.graphViews(agentRowsByRef(this.sql, refs, includeInternal) as ResourceRow[]).map((a) => [a.ref, a]));
    return refs.map((ref) => found.get(ref) ?? null);
  }

  /** One page of reservations, newest first. */
  async graphReservations(q: ReservationPageQuery): Promise<ReservationView[]> {
    const now = this.clock.now();
    const rows = (reservationPageRows(this.sql, q, now) as ReservationRow[]).map(toReservation);
    const refs = new Map(
      (agentIdsRefs(this.sql, [...new Set(rows.map((r) => r.agentId))]) as { id: string; ref: string }[]).map((r) => [r.id, r.ref]),
    );
    return rows.map((r) => this.reservationView(r, now, refs.get(r.agentId) ?? r.agentId));
  }

  private graphViews(rows: ResourceRow[]): GraphAgent[] {
    const now = this.clock.now();
    const resources = rows.map(toResource);
    const held = this.reservationsOf(
      resources.map((r) => r.id),
      now,
    );
    return resources.map((r) => {
      const mine = held.get(r.id) ?? [];
      return {
        ...this.view(r, now, mine),
        freeCapacity: freeCapacity(r, mine, now, now, now + GRAPH_SLOT_MS),
        reservations: mine.slice(0, GRAPH_RESERVATIONS_PER_AGENT).map((x) => this.reservationView(x, now, r.ref)),
      };
    });
  }

  // ---- internals -------------------------------------------------------------------------

  private changed(): void {
    this.revision++;
  }

  /** Moves the alarm earlier when `atMs` is before it; never later (a late alarm just re-arms). */
  private async ensureAlarmBy(atMs: number): Promise<void> {
    if (this.alarmAtMs !== null && this.alarmAtMs <= atMs) return;
    this.alarmAtMs = atMs;
    await this.ctx.storage.setAlarm(atMs);
  }

  /** Sets the alarm to the earliest heartbeat deadline or hold expiry, or clears it when there is none. */
  private async rearm(): Promise<void> {
    const lastReport = this.sql<{ t: number | null }>`SELECT min(coalesce(last_report_at_ms, 0)) AS t FROM resources
      WHERE state IN (SELECT value FROM json_each(${MONITORED_JSON}))`.one().t;
    const holdEnd = this.sql<{ t: number | null }>`SELECT min(expires_at_ms) AS t FROM reservations WHERE status = 'held'`.one().t;
    const due = [lastReport === null ? null : lastReport + this.heartbeatTimeoutMs, holdEnd].filter(
      (t): t is number => t !== null,
    );
    if (due.length === 0) {
      if (this.alarmAtMs !== null) await this.ctx.storage.deleteAlarm();
      this.alarmAtMs = null;
      return;
    }
    await this.ensureAlarmBy(Math.min(...due));
  }

  private findResource(id: string): Resource | null {
    const row = this.sql<ResourceRow>`SELECT * FROM resources WHERE id = ${id}`.toArray()[0];
    return row ? toResource(row) : null;
  }

  private mustFind(id: string): Resource {
    const r = this.findResource(id);
    if (!r) throw new Error(`resource ${id} vanished inside its own request`);
    return r;
  }

  private findByRef(refOrId: string): Resource | null {
    const row = this.sql<ResourceRow>`SELECT * FROM resources WHERE ref = ${refOrId} OR id = ${refOrId} LIMIT 1`.toArray()[0];
    return row ? toResource(row) : null;
  }

  private allResources(): Resource[] {
    return this.sql<ResourceRow>`SELECT * FROM resources ORDER BY id LIMIT ${LIST_LIMIT}`.toArray().map(toResource);
  }

  /** Resources the mesh may use for any of the skills on a channel: never internal ones. */
  private servingResources(skills: string | readonly string[], channel: Channel): Resource[] {
    const wanted = JSON.stringify(typeof skills === "string" ? [skills] : skills);
    return this.sql<ResourceRow>`SELECT * FROM resources WHERE exposure != 'internal'
      AND EXISTS (SELECT 1 FROM json_each(${wanted}) AS w WHERE coalesce(json_extract(skills, '$.' || w.value), 0) > 0)
      AND EXISTS (SELECT 1 FROM json_each(channels) WHERE value = ${channel})
      ORDER BY id LIMIT ${LIST_LIMIT}`
      .toArray()
      .map(toResource);
  }

  private findReservation(id: string): Reservation | null {
    const row = this.sql<ReservationRow>`SELECT * FROM reservations WHERE id = ${id}`.toArray()[0];
    return row ? toReservation(row) : null;
  }

  /**
   * The next active reservations of the given agents (by index), grouped by agent.
   * For views and estimates: each agent's list is capped, which can only make a
   * far-off estimate early. Booking decisions use `overlapping`, never this.
   */
  private reservationsOf(agentIds: readonly string[], now: number): Map<string, Reservation[]> {
    const byAgent = new Map<string, Reservation[]>();
    if (agentIds.length === 0) return byAgent;
    const rows = this.sql<ReservationRow>`SELECT * FROM (
        SELECT *, row_number() OVER (PARTITION BY agent_id ORDER BY start_ms) AS nth FROM reservations
        WHERE agent_id IN (SELECT value FROM json_each(${JSON.stringify(agentIds)})) AND end_ms > ${now}
          AND (status = 'claimed' OR (status = 'held' AND expires_at_ms > ${now})))
      WHERE nth <= ${PER_AGENT_LIMIT} ORDER BY start_ms LIMIT ${LIST_LIMIT * PER_AGENT_LIMIT}`.toArray();
    for (const row of rows) {
      const list = byAgent.get(row.agent_id) ?? [];
      list.push(toReservation(row));
      byAgent.set(row.agent_id, list);
    }
    return byAgent;
  }

  /** Every active reservation of one agent that overlaps [startMs, endMs): what capacity is checked against. */
  private overlapping(agentId: string, startMs: number, endMs: number, now: number): Reservation[] {
    // Every reservation overlapping the window: a slot-long window meets a few, a long one more; the LIMIT
    // is only a guard against a runaway query, far above what an agent's capacity lets it hold in a day.
    return this.sql<ReservationRow>`SELECT * FROM reservations WHERE agent_id = ${agentId} AND end_ms > ${startMs}
      AND start_ms < ${endMs} AND (status = 'claimed' OR (status = 'held' AND expires_at_ms > ${now})) LIMIT 10000`
      .toArray()
      .map(toReservation);
  }

  private view(r: Resource, now: number, held?: readonly Reservation[]): AgentView {
    const reservations = held ?? this.reservationsOf([r.id], now).get(r.id) ?? [];
    return {
      id: r.id,
      ref: r.ref,
      kind: r.kind,
      name: r.name,
      skills: r.skills,
      channels: r.channels,
      languages: r.languages,
      capacity: r.capacity,
      exposure: r.exposure,
      shift: r.shift,
      state: r.state,
      until: iso(r.untilMs),
      expectedAvailableAt: iso(expectedAvailableAt(r, reservations, now)),
      lastReportAt: iso(r.lastReportAtMs),
      updatedAt: iso(r.updatedAtMs) as string,
    };
  }

  private reservationView(r: Reservation, now: number, ref?: string): ReservationView {
    return {
      id: r.id,
      siteId: this.siteId,
      callbackId: r.callbackId,
      agentId: ref ?? this.findResource(r.agentId)?.ref ?? r.agentId,
      skill: r.skill,
      channel: r.channel,
      start: iso(r.startMs) as string,
      end: iso(r.endMs) as string,
      status: effectiveStatus(r, now),
      expiresAt: iso(r.expiresAtMs) as string,
      createdAt: iso(r.createdAtMs) as string,
    };
  }
}

/** A held reservation past its expiry is expired, whether or not the alarm has swept it yet. */
function effectiveStatus(r: Reservation, now: number): ReservationStatus {
  return r.status === "held" && r.expiresAtMs <= now ? "expired" : r.status;
}

function toResource(row: ResourceRow): Resource {
  return {
    id: row.id,
    ref: row.ref,
    kind: row.kind as Resource["kind"],
    name: row.name,
    skills: JSON.parse(row.skills),
    channels: JSON.parse(row.channels),
    languages: JSON.parse(row.languages),
    capacity: row.capacity,
    exposure: row.exposure as Resource["exposure"],
    shift: row.shift ? JSON.parse(row.shift) : null,
    state: row.state as AgentState,
    untilMs: row.until_ms,
    lastReportAtMs: row.last_report_at_ms,
    updatedAtMs: row.updated_at_ms,
  };
}

function toReservation(row: ReservationRow): Reservation {
  return {
    id: row.id,
    callbackId: row.callback_id,
    agentId: row.agent_id,
    skill: row.skill,
    channel: row.channel as Channel,
    startMs: row.start_ms,
    endMs: row.end_ms,
    status: row.status as ReservationStatus,
    expiresAtMs: row.expires_at_ms,
    createdAtMs: row.created_at_ms,
  };
}

function newRef(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return `r_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function positiveInt(value: string | undefined): number | null {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : null;
}

const notFoundAgent = (id: string) => fail(404, "agent_not_found", `no agent ${id} at this site`, { agentId: id });
const notFoundReservation = (id: string) =>
  fail(404, "reservation_not_found", `no reservation ${id} at this site`, { reservationId: id });
