/**
 * A site's roster: its resources, their states, shifts and reservations. The only
 * authority on who takes which callback. Its alarm is the heartbeat monitor (and
 * sweeps reservations that were never claimed).
 */
import { DurableObject } from "cloudflare:workers";
import type { Digest } from "../../federation/wire/digest.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { fail, guarded, ok, type Result } from "../shared/problem.ts";
import { migrate, sqlOf, type Sql } from "../shared/sql.ts";
import { freeCapacity, isActive, slotCapacity } from "./availability.ts";
import { rankForChoice } from "./choose-agent.ts";
import { digestOf } from "./digest-of.ts";
import { agentIdsRefs, agentPageRows, agentRowsByRef, reservationPageRows, type AgentPageQuery, type ListScope, type ReservationPageQuery } from "./graph-reads.ts";
import { ROSTER_MIGRATIONS } from "./migrations.ts";
import { DEFAULT_RESERVATION_HORIZON_DAYS, MAX_UNTIL_AHEAD_MS, type AgentInput, type AvailabilityQuery, type ListedOutside, type Reservation, type ReservationInput, type Resource, type StatusReport } from "./model.ts";
import { checkTransition, isMonitored, MONITORED_STATES } from "./state-machine.ts";
import { effectiveStatus, iso, LIST_LIMIT, newRef, notFoundAgent, notFoundReservation, positiveInt, RosterStore, toReservation, type GraphAgent, type ReservationRow, type ResourceRow } from "./roster-store.ts";
import type { AgentView, ReservationView, SlotView } from "./views.ts";

export type { AgentView, ReservationView, SlotView } from "./views.ts";
export type { GraphAgent } from "./roster-store.ts";

export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;
/** Four seconds: with a refresh every second, three lost refreshes in a row before a site looks stale, and a dead site is stale for everyone within five. */
export const DEFAULT_DIGEST_TTL_MS = 4_000;


/** Bound as one JSON parameter and expanded by SQLite, so the list stays parameterised. */
const MONITORED_JSON = JSON.stringify(MONITORED_STATES);

/** What the roster reads of its site Worker's bindings (the Worker's env extends it). */
export interface RosterEnv {
  SITE_ID: string;
  HEARTBEAT_TIMEOUT_MS?: string;
  DIGEST_TTL_MS?: string;
  /** How far ahead a reservation may start, in days (default 91: past any provider's booking horizon). */
  RESERVATION_HORIZON_DAYS?: string;
}

export class Roster extends DurableObject<RosterEnv> {
  /** Replaced by tests (through runInDurableObject) to move time. */
  clock: Clock = systemClock;
  private readonly sql: Sql;
  private readonly store: RosterStore;
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
    this.store = new RosterStore(this.sql, env.SITE_ID);
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
    return guarded("roster.upsertAgent", async () => {
      const now = this.clock.now();
      const existing = this.store.findResource(id);
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
      return ok({ agent: this.store.view(this.store.mustFind(id), now), created: !existing });
    });
  }

  async removeAgent(id: string): Promise<Result<null>> {
    return guarded("roster.removeAgent", async () => {
      const now = this.clock.now();
      const r = this.store.findResource(id);
      if (!r) return notFoundAgent(id);
      const held = this.store.reservationsOf([r.id], now).get(r.id) ?? [];
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
    });
  }

  /** One agent by its roster id, or by its opaque ref (how anyone outside the site knows it). */
  async getAgent(id: string, by: "id" | "ref" = "id"): Promise<Result<AgentView>> {
    return guarded("roster.getAgent", async () => {
      const r = by === "ref" ? this.store.findRef(id) : this.store.findResource(id);
      return r ? ok(this.store.view(r, this.clock.now())) : notFoundAgent(id);
    });
  }

  async listAgents(): Promise<AgentView[]> {
    const now = this.clock.now();
    const resources = this.store.allResources();
    const held = this.store.reservationsOf(
      resources.map((r) => r.id),
      now,
    );
    return resources.map((r) => this.store.view(r, now, held.get(r.id) ?? []));
  }

  // ---- monitoring ------------------------------------------------------------------------

  /** A status report: a legal move of the state machine, and a heartbeat. */
  async reportStatus(id: string, report: StatusReport): Promise<Result<AgentView>> {
    return guarded("roster.reportStatus", async () => {
      const now = this.clock.now();
      const r = this.store.findResource(id);
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
      if (untilMs !== null && untilMs > now + MAX_UNTIL_AHEAD_MS) {
        return fail(400, "invalid_request", "`until` is at most 7 days ahead", { fields: [{ path: "until", message: "more than 7 days ahead" }] });
      }
      this.sql`UPDATE resources SET state = ${report.state}, until_ms = ${untilMs}, last_report_at_ms = ${now}, updated_at_ms = ${now}
        WHERE id = ${id}`;
      if (isMonitored(report.state)) await this.ensureAlarmBy(now + this.heartbeatTimeoutMs);
      this.changed();
      return ok(this.store.view({ ...r, state: report.state, untilMs, lastReportAtMs: now, updatedAtMs: now }, now));
    });
  }

  /** A heartbeat: one row written, nothing else (the pending alarm already covers it). */
  async heartbeat(id: string): Promise<Result<null>> {
    return guarded("roster.heartbeat", async () => {
      const written = this.sql`UPDATE resources SET last_report_at_ms = ${this.clock.now()} WHERE id = ${id}`.rowsWritten;
      return written > 0 ? ok(null) : notFoundAgent(id);
    });
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
    const eligible = this.store.servingResources(q.skill, q.channel);
    const held = this.store.reservationsOf(
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
    return guarded("roster.reserve", async () => {
      const now = this.clock.now();
      const startMs = Date.parse(input.start);
      const endMs = Date.parse(input.end);
      if (endMs <= now) {
        return fail(400, "invalid_request", "the window is already over", { fields: [{ path: "end", message: "in the past" }] });
      }
      const horizonDays = positiveInt(this.env.RESERVATION_HORIZON_DAYS) ?? DEFAULT_RESERVATION_HORIZON_DAYS;
      if (startMs > now + horizonDays * 86_400_000) {
        return fail(400, "invalid_request", `a reservation starts at most ${horizonDays} days ahead`, {
          fields: [{ path: "start", message: `more than ${horizonDays} days ahead` }],
        });
      }
      const prior = this.sql<ReservationRow>`SELECT * FROM reservations WHERE callback_id = ${input.callbackId}
        AND status IN ('held', 'claimed') LIMIT ${LIST_LIMIT}`
        .toArray()
        .map(toReservation)
        .find((x) => isActive(x, now));
      const same = prior && prior.skill === input.skill && prior.startMs === startMs && prior.endMs === endMs;
      if (prior && same) return ok(this.store.reservationView(prior, now));
      // A move within this site names the hold it replaces: that one counts for nothing here, and goes in the same write.
      const replaced = prior && input.replaces === prior.id ? prior : null;
      if (prior && !replaced) {
        return fail(409, "callback_already_reserved", "this callback already holds another reservation here", {
          reservation: prior.id,
        });
      }

      let candidates: Resource[];
      if (input.agentId !== undefined) {
        const r = this.store.findByRef(input.agentId);
        if (!r || r.exposure === "internal") return notFoundAgent(input.agentId);
        if (!(r.skills[input.skill] > 0) || !r.channels.includes(input.channel)) {
          return fail(409, "agent_cannot_serve", "the agent lacks that skill or channel", {
            skill: input.skill,
            channel: input.channel,
          });
        }
        candidates = [r];
      } else {
        // The site's own choice ranks its agents as the cloud's scheduler would (one scoring for the mesh).
        candidates = rankForChoice(this.store.servingResources(input.skill, input.channel), input.skill, input.choose);
      }
      // Only reservations overlapping the window matter here, read whole (not the capped list views use).
      const others = (r: Resource) => this.store.overlapping(r.id, startMs, endMs, now).filter((x) => x.id !== replaced?.id);
      const chosen = candidates.find((r) => freeCapacity(r, others(r), now, startMs, endMs) > 0);
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
      if (replaced) this.sql`UPDATE reservations SET status = 'released' WHERE id = ${replaced.id}`;
      await this.ensureAlarmBy(expiresAtMs);
      this.changed();
      return ok(this.store.reservationView(reservation, now, chosen.ref));
    });
  }

  async getReservation(id: string): Promise<Result<ReservationView>> {
    return guarded("roster.getReservation", async () => {
      const r = this.store.findReservation(id);
      return r ? ok(this.store.reservationView(r, this.clock.now())) : notFoundReservation(id);
    });
  }

  /** The session manager confirms a reservation at callback time. Claiming twice is harmless. */
  async claim(id: string): Promise<Result<ReservationView>> {
    return guarded("roster.claim", async () => {
      const now = this.clock.now();
      const r = this.store.findReservation(id);
      if (!r) return notFoundReservation(id);
      const status = effectiveStatus(r, now);
      if (status === "claimed") return ok(this.store.reservationView(r, now));
      if (status !== "held") {
        return fail(409, `reservation_${status}`, `the reservation is ${status} and cannot be claimed`, { status });
      }
      this.sql`UPDATE reservations SET status = 'claimed' WHERE id = ${id}`;
      this.changed();
      return ok(this.store.reservationView({ ...r, status: "claimed" }, now));
    });
  }

  /** Gives the agent back. Releasing twice, or an expired reservation, is harmless. */
  async release(id: string): Promise<Result<ReservationView>> {
    return guarded("roster.release", async () => {
      const now = this.clock.now();
      const r = this.store.findReservation(id);
      if (!r) return notFoundReservation(id);
      const status = effectiveStatus(r, now);
      if (status === "released" || status === "expired") return ok(this.store.reservationView({ ...r, status }, now));
      this.sql`UPDATE reservations SET status = 'released' WHERE id = ${id}`;
      this.changed();
      return ok(this.store.reservationView({ ...r, status: "released" }, now));
    });
  }

  // ---- federation ------------------------------------------------------------------------

  /** The roster's current revision, for `digestUnless`. */
  async revisionTag(): Promise<string> {
    return `${this.epoch}-${this.revision}`;
  }

  /**
   * The digest, or nothing when the roster is still at revision `tag` (the peer already has
   * it). `listing`: what this site lists outside it, from its own cap in the membership.
   */
  async digestUnless(tag: string | null, listing: ListedOutside = "federated"): Promise<{ tag: string; digest: Digest | null }> {
    const current = `${await this.revisionTag()}-${listing}`;
    return { tag: current, digest: tag === current ? null : await this.digest(listing) };
  }

  async digest(listing: ListedOutside = "federated"): Promise<Digest> {
    const now = this.clock.now();
    const resources = this.store.allResources();
    const held = this.store.reservationsOf(
      resources.map((r) => r.id),
      now,
    );
    // Every digest issued is a new message: its sequence grows even when nothing changed,
    // so a refresh is never mistaken for a replay.
    const seq = this.sql<{ value: number }>`UPDATE meta SET value = value + 1 WHERE key = 'digest_seq' RETURNING value`.one().value;
    const ttl = positiveInt(this.env.DIGEST_TTL_MS) ?? DEFAULT_DIGEST_TTL_MS;
    return digestOf(this.siteId, seq, ttl, resources, (id) => held.get(id) ?? [], now, listing);
  }

  // ---- graph reads (the site subgraph; the queries live in graph-reads.ts) ----------------

  /** One page of agents ordered by ref, each with its free capacity now and its upcoming reservations. */
  async graphAgents(q: AgentPageQuery): Promise<GraphAgent[]> {
    return this.store.graphViews(this.clock.now(), agentPageRows(this.sql, q) as ResourceRow[]);
  }

  /** Agents by ref, in the order asked; null for one not here, or not listed to this caller (`scope`). */
  async graphAgentsByRef(refs: string[], scope: ListScope): Promise<(GraphAgent | null)[]> {
    const found = new Map(this.store.graphViews(this.clock.now(), agentRowsByRef(this.sql, refs, scope) as ResourceRow[]).map((a) => [a.ref, a]));
    return refs.map((ref) => found.get(ref) ?? null);
  }

  /** One page of reservations, newest first. */
  async graphReservations(q: ReservationPageQuery): Promise<ReservationView[]> {
    const now = this.clock.now();
    const rows = (reservationPageRows(this.sql, q, now) as ReservationRow[]).map(toReservation);
    const refs = new Map(
      (agentIdsRefs(this.sql, [...new Set(rows.map((r) => r.agentId))]) as { id: string; ref: string }[]).map((r) => [r.id, r.ref]),
    );
    return rows.map((r) => this.store.reservationView(r, now, refs.get(r.agentId) ?? r.agentId));
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
}
