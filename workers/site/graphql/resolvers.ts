/**
 * Resolvers of the site subgraph (schema/site.graphql; types generated from it).
 * Thin: they check arguments, draw the caller's boundary and call the Roster.
 */
import { z } from "zod";
import { MAX_PAGE, MAX_REFS } from "../../../objects/roster/graph-reads.ts";
import { availabilityQuery } from "../../../objects/roster/model.ts";
import { graphError, parseArgs } from "../../../federation/runtime/graphql/errors.ts";
import { firstArg } from "../../../federation/runtime/graphql/limits.ts";
import { seesWhole } from "../../../federation/wire/viewer.ts";
import { listScope, rosterOf } from "../app-types.ts";
import type { SiteGraphContext } from "./context.ts";
import type { AgentParent } from "./parents.ts";
import type { AgentState, Channel, Exposure, ReservationStatus, ResourceKind, Resolvers } from "./types.generated.ts";
import { skillName } from "../../../federation/wire/vocabulary.ts";

const upper = <T extends string>(value: string) => value.toUpperCase() as T;
const lower = (value: string | null | undefined) => (value ? value.toLowerCase() : null);

const agentArgs = z.object({
  skill: skillName.nullish(),
  minLevel: z.number().int().min(1).max(5).nullish(),
  state: z.string().nullish(),
  channel: z.string().nullish(),
  first: firstArg(100),
  after: z.string().max(64).nullish(),
});

async function agentPage(ctx: SiteGraphContext, args: unknown): Promise<AgentParent[]> {
  const q = parseArgs(agentArgs, args);
  // RPC's serialisable mapping turns the shift's tuples into arrays; the object returns exactly GraphAgent.
  return (await rosterOf(ctx.env).graphAgents({
    skill: q.skill,
    minLevel: q.minLevel,
    state: lower(q.state),
    channel: lower(q.channel),
    after: q.after,
    first: q.first,
    scope: await listScope(ctx.env, seesWhole(ctx.viewer, ctx.env.SITE_ID)),
  })) as AgentParent[];
}

async function availability(ctx: SiteGraphContext, args: { skill: string; channel: string; from: string; to: string; slotMinutes?: number | null }) {
  const q = parseArgs(availabilityQuery, { ...args, channel: lower(args.channel), slotMinutes: args.slotMinutes ?? undefined });
  return rosterOf(ctx.env).availability(q);
}

const reservationArgs = z.object({
  status: z.string().nullish(),
  first: firstArg(50),
  after: z.string().max(64).nullish(),
});

export const resolvers: Resolvers = {
  Query: {
    site: (_, { id }, ctx) => (id && id !== ctx.env.SITE_ID ? null : { id: ctx.env.SITE_ID }),
    agents: (_, args, ctx) => agentPage(ctx, args),
    availability: (_, args, ctx) => availability(ctx, args),
    _agents: async (_, { ids }, ctx) => {
      if (ids.length > MAX_REFS) throw graphError("invalid_request", `at most ${MAX_REFS} ids at once`, { max: MAX_REFS });
      const scope = await listScope(ctx.env, seesWhole(ctx.viewer, ctx.env.SITE_ID));
      return (await rosterOf(ctx.env).graphAgentsByRef(ids, scope)) as (AgentParent | null)[];
    },
  },
  Site: {
    id: (site) => site.id,
    // It answered, so it is up; the edge replaces this with what its mesh view says.
    health: () => "up",
    agents: (_, args, ctx) => agentPage(ctx, args),
    availability: (_, args, ctx) => availability(ctx, args),
    reservations: async (site, args, ctx) => {
      if (!seesWhole(ctx.viewer, site.id)) return null;
      const q = parseArgs(reservationArgs, args);
      return rosterOf(ctx.env).graphReservations({ status: lower(q.status), first: q.first, after: q.after });
    },
  },
  Agent: {
    id: (a) => a.ref,
    siteId: (_, __, ctx) => ctx.env.SITE_ID,
    site: (_, __, ctx) => ({ id: ctx.env.SITE_ID }),
    kind: (a) => upper<ResourceKind>(a.kind),
    name: (a, _, ctx) => (seesWhole(ctx.viewer, ctx.env.SITE_ID) ? a.name : null),
    exposure: (a) => upper<Exposure>(a.exposure),
    state: (a) => upper<AgentState>(a.state),
    until: (a) => a.until,
    skills: (a) => Object.entries(a.skills).map(([name, level]) => ({ name, level })),
    channels: (a) => a.channels.map((c) => upper<Channel>(c)),
    languages: (a) => a.languages,
    capacity: (a) => a.capacity,
    freeCapacity: (a) => a.freeCapacity,
    expectedAvailableAt: (a) => a.expectedAvailableAt,
    lastReportAt: (a, _, ctx) => (seesWhole(ctx.viewer, ctx.env.SITE_ID) ? a.lastReportAt : null),
    reservations: (a, { first }, ctx) => (seesWhole(ctx.viewer, ctx.env.SITE_ID) ? a.reservations.slice(0, Math.max(0, Math.min(first, MAX_PAGE))) : null),
  },
  Reservation: {
    channel: (r) => upper<Channel>(r.channel),
    status: (r) => upper<ReservationStatus>(r.status),
  },
};
