/**
 * The roster's rows read as its model: resources and reservations by id, ref, skill
 * and window, and the views the API answers with. Reads only (the object writes);
 * every query is parameterised and bounded.
 */
import type { Sql } from "../shared/sql.ts";
import { fail, InvariantError } from "../shared/problem.ts";
import { expectedAvailableAt, freeCapacity } from "./availability.ts";
import type { Reservation, ReservationStatus, Resource } from "./model.ts";
import type { AgentView, ReservationView } from "./views.ts";
import type { AgentState, Channel } from "../../federation/wire/vocabulary.ts";

export const LIST_LIMIT = 1000;
/** Upcoming reservations per agent that views and estimates look at. */
const PER_AGENT_LIMIT = 200;

export type ResourceRow = {
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

export type ReservationRow = {
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

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** An agent as the site subgraph shows it: its view, free capacity over the next slot, upcoming reservations. */
export interface GraphAgent extends AgentView {
  freeCapacity: number;
  reservations: ReservationView[];
}
/** "Free capacity" in the subgraph looks over the next slot, as the digest does. */
const GRAPH_SLOT_MS = 15 * 60_000;
const GRAPH_RESERVATIONS_PER_AGENT = 20;

export class RosterStore {
  constructor(
    private readonly sql: Sql,
    private readonly siteId: string,
  ) {}

  findResource(id: string): Resource | null {
    const row = this.sql<ResourceRow>`SELECT * FROM resources WHERE id = ${id}`.toArray()[0];
    return row ? toResource(row) : null;
  }

  mustFind(id: string): Resource {
    const r = this.findResource(id);
    if (!r) throw new InvariantError("an agent vanished inside its own request", { agentId: id });
    return r;
  }

  findRef(ref: string): Resource | null {
    const row = this.sql<ResourceRow>`SELECT * FROM resources WHERE ref = ${ref}`.toArray()[0];
    return row ? toResource(row) : null;
  }

  findByRef(refOrId: string): Resource | null {
    const row = this.sql<ResourceRow>`SELECT * FROM resources WHERE ref = ${refOrId} OR id = ${refOrId} LIMIT 1`.toArray()[0];
    return row ? toResource(row) : null;
  }

  allResources(): Resource[] {
    return this.sql<ResourceRow>`SELECT * FROM resources ORDER BY id LIMIT ${LIST_LIMIT}`.toArray().map(toResource);
  }

  /** Resources the mesh may use for any of the skills on a channel: never internal ones. */
  servingResources(skills: string | readonly string[], channel: Channel): Resource[] {
    const wanted = JSON.stringify(typeof skills === "string" ? [skills] : skills);
    return this.sql<ResourceRow>`SELECT * FROM resources WHERE exposure != 'internal'
      AND EXISTS (SELECT 1 FROM json_each(${wanted}) AS w WHERE coalesce(json_extract(skills, '$.' || w.value), 0) > 0)
      AND EXISTS (SELECT 1 FROM json_each(channels) WHERE value = ${channel})
      ORDER BY id LIMIT ${LIST_LIMIT}`
      .toArray()
      .map(toResource);
  }

  findReservation(id: string): Reservation | null {
    const row = this.sql<ReservationRow>`SELECT * FROM reservations WHERE id = ${id}`.toArray()[0];
    return row ? toReservation(row) : null;
  }

  /**
   * The next active reservations of the given agents (by index), grouped by agent.
   * For views and estimates: each agent's list is capped, which can only make a
   * far-off estimate early. Booking decisions use `overlapping`, never this.
   */
  reservationsOf(agentIds: readonly string[], now: number): Map<string, Reservation[]> {
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
  overlapping(agentId: string, startMs: number, endMs: number, now: number): Reservation[] {
    // Every reservation overlapping the window: a slot-long window meets a few, a long one more; the LIMIT
    // is only a guard against a runaway query, far above what an agent's capacity lets it hold in a day.
    return this.sql<ReservationRow>`SELECT * FROM reservations WHERE agent_id = ${agentId} AND end_ms > ${startMs}
      AND start_ms < ${endMs} AND (status = 'claimed' OR (status = 'held' AND expires_at_ms > ${now})) LIMIT 10000`
      .toArray()
      .map(toReservation);
  }

  view(r: Resource, now: number, held?: readonly Reservation[]): AgentView {
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

  reservationView(r: Reservation, now: number, ref?: string): ReservationView {
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

  /** Agents as the site subgraph shows them: each with its free capacity over the next slot and its upcoming reservations. */
  graphViews(now: number, rows: ResourceRow[]): GraphAgent[] {
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
}

/** A held reservation past its expiry is expired, whether or not the alarm has swept it yet. */
export function effectiveStatus(r: Reservation, now: number): ReservationStatus {
  return r.status === "held" && r.expiresAtMs <= now ? "expired" : r.status;
}

export function toResource(row: ResourceRow): Resource {
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

export function toReservation(row: ReservationRow): Reservation {
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

export function newRef(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return `r_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export function positiveInt(value: string | undefined): number | null {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : null;
}

export const notFoundAgent = (id: string) => fail(404, "agent_not_found", `no agent ${id} at this site`, { agentId: id });
export const notFoundReservation = (id: string) =>
  fail(404, "reservation_not_found", `no reservation ${id} at this site`, { reservationId: id });
