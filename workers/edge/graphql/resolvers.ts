/**
 * Resolvers of the cloud subgraph (schema/cloud.graphql; types generated from it).
 * Thin: they check arguments, draw the caller's boundary and read the provider
 * objects, their callback shards, the directory and the mesh view. Lists of
 * callbacks across providers ask every shard of every provider once per page and
 * merge (newest first, then by confirmation: one order across shards, so cursors hold).
 */
import { GraphQLScalarType, Kind, type ValueNode } from "graphql";
import { z } from "zod";
import { FREE_HORIZON_MS, type Digest } from "../../../federation/wire/digest.ts";
import { MAX_MESH_SLOTS, meshSlots } from "../../../federation/runtime/gateway/mesh-availability.ts";
import { DirectMeshView, GossipMeshView } from "../../../federation/runtime/mesh-view.ts";
import { SiteClient } from "../../../federation/runtime/site-client.ts";
import { normalizeConfirmation, placeOf } from "../../../objects/callback-cloud/confirmation.ts";
import type { AgentKey, CallbackCursor, GraphCallback } from "../../../objects/callback-cloud/graph-reads.ts";
import type { IntentAnalysis as StoredAnalysis } from "../../../objects/callback-cloud/intents.ts";
import type { PublicProvider } from "../../../objects/callback-cloud/provider.ts";
import { customerDetail } from "../../../objects/callback-cloud/views.ts";
import { systemClock } from "../../../objects/shared/clock.ts";
import { batcher } from "../../shared/graphql/batch.ts";
import { graphError, parseArgs } from "../../../federation/runtime/graphql/errors.ts";
import { firstArg } from "../../../federation/runtime/graphql/limits.ts";
import { meshViewOf } from "../../shared/mesh-routes.ts";
import { shardIndexes } from "../../../objects/callback-cloud/shards.ts";
import type { DirectoryEntry } from "../../../objects/directory/directory.ts";
import { directoryOf, providerOf, shardOf } from "../app-types.ts";
import { memoized, type CloudGraphContext } from "./context.ts";
import type { AgentParent, CallbackParent } from "./parents.ts";
import type { AttemptOutcome, CallbackConnection, CallbackStatus, IntentAnalysis, Resolvers } from "./types.generated.ts";
import { CHANNELS, skillName } from "../../../federation/wire/vocabulary.ts";

/** What an agent "holds": callbacks planned on it that are not over. */
export const HELD_STATUSES = ["scheduled", "dialing", "connected", "retrying"] as const;
/** Most providers one query looks across (the directory pages them by 100). */
const MAX_PROVIDERS = 1000;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const upper = <T extends string>(value: string) => value.toUpperCase() as T;
const isStaff = (ctx: CloudGraphContext) => ctx.viewer.kind === "staff";
/** A partner sees the callbacks of its own site only. */
const partnerSite = (ctx: CloudGraphContext) => (ctx.viewer.kind === "partner" ? ctx.viewer.siteId : null);

export const JSONScalar = new GraphQLScalarType({
  name: "JSON",
  description: "A JSON value.",
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast) => literal(ast),
});

function literal(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value)]));
    case Kind.LIST:
      return ast.values.map(literal);
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.STRING:
    case Kind.ENUM:
      return ast.value;
    case Kind.BOOLEAN:
      return ast.value;
    default:
      return null;
  }
}

// ---- cursors: opaque, base64url of what orders the list -------------------------------------

export function encodeCursor(c: CallbackCursor): string {
  return btoa(JSON.stringify([c.createdAtMs, c.confirmation])).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeCursor(raw: string | null | undefined): CallbackCursor | null {
  if (!raw) return null;
  try {
    const [createdAtMs, confirmation] = JSON.parse(atob(raw.replaceAll("-", "+").replaceAll("_", "/"))) as [unknown, unknown];
    if (typeof createdAtMs === "number" && typeof confirmation === "string") return { createdAtMs, confirmation };
  } catch {
    // fall through
  }
  throw graphError("invalid_request", "`after` is not a cursor this list gave", { fields: [{ path: "args.after", message: "not a cursor" }] });
}

// ---- providers ------------------------------------------------------------------------------

/** Every provider's entry (id and shards), from the directory (read once per request). */
function providerEntries(ctx: CloudGraphContext): Promise<DirectoryEntry[]> {
  return memoized(ctx, "providerEntries", async () => {
    const entries: DirectoryEntry[] = [];
    let after = -1;
    while (entries.length < MAX_PROVIDERS) {
      const batch = await directoryOf(ctx.env).providers(100, after);
      entries.push(...batch);
      if (batch.length < 100) break;
      after = batch[batch.length - 1].ordinal;
    }
    return entries;
  });
}

async function providerIds(ctx: CloudGraphContext): Promise<string[]> {
  return (await providerEntries(ctx)).map((p) => p.id);
}

/** Every callback shard of these providers. */
async function shardsOf(ctx: CloudGraphContext, providers: readonly string[]) {
  const shards = new Map((await providerEntries(ctx)).map((p) => [p.id, p.shards]));
  return providers.flatMap((id) => shardIndexes(shards.get(id) ?? 1).map((i) => shardOf(ctx.env, id, i)));
}

function registration(ctx: CloudGraphContext, id: string): Promise<PublicProvider | null> {
  return memoized(ctx, `provider:${id}`, async () => {
    // Only registered providers: naming an object creates it, and a query must not create any.
    if (!(await providerIds(ctx)).includes(id)) return null;
    const p = (await providerOf(ctx.env, id).publicRegistration()) as PublicProvider | null;
    const site = partnerSite(ctx);
    // A partner sees the providers its site serves.
    return p && (!site || p.sites.includes(site)) ? p : null;
  });
}

async function visibleProviders(ctx: CloudGraphContext): Promise<PublicProvider[]> {
  const all = await Promise.all((await providerIds(ctx)).map((id) => registration(ctx, id)));
  return all.filter((p): p is PublicProvider => p !== null);
}

// ---- callbacks ------------------------------------------------------------------------------

const callbacksArgs = z.object({
  status: z.string().nullish(),
  providerId: z.string().max(64).nullish(),
  first: firstArg(20),
  after: z.string().max(200).nullish(),
});

/** Newest first across providers: each is asked for one more than the page, the pages merged and cut. */
async function callbackConnection(ctx: CloudGraphContext, args: unknown, onlyProvider?: string): Promise<Omit<CallbackConnection, "nodes"> & { nodes: CallbackParent[] }> {
  const q = parseArgs(callbacksArgs, args);
  const after = decodeCursor(q.after);
  const providerId = onlyProvider ?? q.providerId;
  const providers = providerId ? ((await registration(ctx, providerId)) ? [providerId] : []) : (await visibleProviders(ctx)).map((p) => p.id);
  const pages = await Promise.all(
    (await shardsOf(ctx, providers)).map(
      (shard) =>
        shard.graphCallbacks({
          status: q.status ? q.status.toLowerCase() : null,
          siteId: partnerSite(ctx),
          first: q.first + 1,
          after,
        }) as Promise<GraphCallback[]>,
    ),
  );
  const merged = pages.flat().sort((a, b) => b.createdAtMs - a.createdAtMs || (a.confirmation < b.confirmation ? 1 : a.confirmation > b.confirmation ? -1 : 0));
  const nodes = merged.slice(0, q.first);
  const last = nodes[nodes.length - 1];
  return {
    nodes,
    pageInfo: {
      endCursor: last ? encodeCursor({ createdAtMs: last.createdAtMs, confirmation: last.confirmation }) : (q.after ?? null),
      hasNextPage: merged.length > q.first,
    },
  };
}

async function callbackByConfirmation(ctx: CloudGraphContext, raw: string): Promise<CallbackParent | null> {
  const confirmation = normalizeConfirmation(raw);
  if (!confirmation) return null;
  const { ordinal, shard } = placeOf(confirmation);
  const provider = await directoryOf(ctx.env).providerAt(ordinal);
  if (!provider || shard >= provider.shards) return null;
  const cb = (await shardOf(ctx.env, provider.id, shard).graphCallback(confirmation)) as GraphCallback | null;
  const site = partnerSite(ctx);
  return cb && (!site || cb.siteId === site) ? cb : null;
}

/**
 * Every agent of a query whose callbacks are asked with the same arguments is read
 * in one batch: each provider's object is asked once for all their keys.
 */
function agentCallbacksLoader(ctx: CloudGraphContext, statuses: readonly string[], first: number) {
  return memoized(ctx, `agentCallbacks:${statuses.join(",")}:${first}`, () =>
    batcher<AgentKey, GraphCallback[]>(async (keys) => {
      const shards = await shardsOf(ctx, (await visibleProviders(ctx)).map((p) => p.id));
      const found = (
        await Promise.all(shards.map((shard) => shard.graphAgentCallbacks(keys, [...statuses], first) as Promise<GraphCallback[]>))
      ).flat();
      const byAgent = new Map<string, GraphCallback[]>();
      for (const cb of found) {
        const key = `${cb.siteId}/${cb.agentId}`;
        byAgent.set(key, [...(byAgent.get(key) ?? []), cb]);
      }
      const soonest = (cb: GraphCallback) => cb.scheduledForMs ?? cb.windowStartMs;
      return keys.map((k) =>
        (byAgent.get(`${k.siteId}/${k.agentId}`) ?? [])
          .sort((a, b) => soonest(a) - soonest(b) || (a.confirmation < b.confirmation ? -1 : a.confirmation > b.confirmation ? 1 : 0))
          .slice(0, first),
      );
    }),
  );
}

// ---- mesh -----------------------------------------------------------------------------------

const meshAvailabilityArgs = z.object({
  skill: skillName,
  channel: z.enum(CHANNELS),
  minLevel: z.number().int().min(1).max(5),
  from: z.iso.datetime({ offset: true }).nullish(),
  to: z.iso.datetime({ offset: true }).nullish(),
  slotMinutes: z.number().int().min(5).max(240),
});

/** The latest digest of every member: gossip first, asking a member directly when none came yet. */
async function memberDigests(ctx: CloudGraphContext): Promise<Digest[]> {
  const direct = new DirectMeshView(new SiteClient(ctx.env), () => systemClock.now());
  const view = new GossipMeshView(meshViewOf(ctx.env), direct);
  const members = await view.members(ctx.membership.members.map((m) => m.siteId));
  return members.map((m) => m.digest).filter((d): d is Digest => d !== null);
}

function intentAnalysis(stored: StoredAnalysis): IntentAnalysis {
  return {
    intent: stored.intent,
    skills: Object.entries(stored.skills).map(([name, level]) => ({ name, level })),
    priority: stored.priority,
    urgency: stored.urgency,
    language: stored.language,
    alternatives: stored.alternatives,
  };
}

export const resolvers: Resolvers = {
  JSON: JSONScalar,
  Query: {
    providers: async (_, args, ctx) => {
      const q = parseArgs(z.object({ first: firstArg(20), after: z.string().max(64).nullish() }), args);
      const all = await visibleProviders(ctx);
      const start = q.after ? all.findIndex((p) => p.id === q.after) + 1 : 0;
      return all.slice(start, start + q.first);
    },
    provider: (_, { id }, ctx) => registration(ctx, id),
    callback: (_, { confirmation }, ctx) => callbackByConfirmation(ctx, confirmation),
    callbacks: (_, args, ctx) => callbackConnection(ctx, args),
    intentAnalysis: async (_, { providerId, text }, ctx) => {
      if (!isStaff(ctx)) throw graphError("forbidden", "only ops and admin may try the intent engine");
      if (text.length > 2000) throw graphError("invalid_request", "a text has at most 2000 characters", { fields: [{ path: "args.text", message: "too long" }] });
      if (!(await providerIds(ctx)).includes(providerId)) return null;
      const result = await providerOf(ctx.env, providerId).analyze(text);
      return result.ok ? intentAnalysis(result.value as StoredAnalysis) : null;
    },
    mesh: async (_, __, ctx) => {
      const { self, members } = await meshViewOf(ctx.env).members();
      return { self, members };
    },
    meshAvailability: async (_, args, ctx) => {
      const q = parseArgs(meshAvailabilityArgs, args);
      const now = systemClock.now();
      const fromMs = q.from ? Date.parse(q.from) : now;
      const toMs = Math.min(q.to ? Date.parse(q.to) : fromMs + FREE_HORIZON_MS, now + FREE_HORIZON_MS);
      const slotMs = q.slotMinutes * 60_000;
      if ((toMs - fromMs) / slotMs > MAX_MESH_SLOTS) {
        throw graphError("invalid_request", `at most ${MAX_MESH_SLOTS} slots at once: a shorter window or longer slots`, { max: MAX_MESH_SLOTS });
      }
      const slots = meshSlots(await memberDigests(ctx), { skill: q.skill, minLevel: q.minLevel, channel: q.channel, fromMs, toMs, slotMs });
      return slots.map((s) => ({ start: iso(s.startMs) as string, end: iso(s.endMs) as string, agents: s.agents, bySite: s.bySite }));
    },
    _agentCallbacks: (_, { keys }) => keys.map((k) => ({ id: k.id, siteId: k.siteId })),
  },
  Agent: {
    id: (a) => a.id,
    siteId: (a) => a.siteId,
    callbacks: async (a: AgentParent, { status, first }, ctx) => {
      const site = partnerSite(ctx);
      if (site && a.siteId !== site) return [];
      const statuses = status?.length ? status.map((s) => s.toLowerCase()) : [...HELD_STATUSES];
      const n = parseArgs(firstArg(20), first);
      return agentCallbacksLoader(ctx, statuses, n)({ siteId: a.siteId, agentId: a.id });
    },
  },
  Callback: {
    status: (cb) => upper<CallbackStatus>(cb.status),
    scheduledFor: (cb) => iso(cb.scheduledForMs),
    window: (cb) => ({ start: iso(cb.windowStartMs) as string, end: iso(cb.windowEndMs) as string }),
    intent: (cb) => intentAnalysis(JSON.parse(cb.intent) as StoredAnalysis),
    skill: (cb) => (cb.skill ? { name: cb.skill, level: cb.skillLevel } : null),
    agentRef: (cb) => (cb.siteId && cb.agentId ? { id: cb.agentId, siteId: cb.siteId } : null),
    reservationId: (cb, _, ctx) => (isStaff(ctx) ? cb.reservationId : null),
    attempts: (cb) =>
      cb.attempts.map((a) => ({
        n: a.n,
        channel: a.channel,
        startedAt: iso(a.startedAtMs) as string,
        issuedAt: iso(a.issuedAtMs),
        outcome: a.outcome ? upper<AttemptOutcome>(a.outcome) : null,
      })),
    history: (cb, { first }, ctx) =>
      // The newest `first`, oldest first: the end of a long history is what matters.
      cb.events.slice(cb.events.length - Math.max(0, Math.min(first, cb.events.length))).map((e) => {
        const detail = JSON.parse(e.detail) as Record<string, unknown>;
        return { at: iso(e.atMs) as string, type: e.type, detail: isStaff(ctx) ? detail : customerDetail(detail) };
      }),
    contact: (cb, _, ctx) => {
      if (!isStaff(ctx)) return null;
      const c = JSON.parse(cb.contact) as { phone?: string; email?: string };
      return { phone: c.phone ?? null, email: c.email ?? null };
    },
    // An agent's written answer can hold what the customer told it: staff only, like the contact.
    answer: (cb, _, ctx) => (isStaff(ctx) ? cb.answer : null),
    reason: (cb, _, ctx) => (isStaff(ctx) ? cb.reason : null),
    notes: (cb, _, ctx) => (isStaff(ctx) ? cb.notes : null),
    createdAt: (cb) => iso(cb.createdAtMs) as string,
    updatedAt: (cb) => iso(cb.updatedAtMs) as string,
  },
  Provider: {
    siteIds: (p) => p.sites,
    channels: (p) => p.channels,
    allowedMedia: (p) => p.rules.allowedMedia,
    slotMinutes: (p) => p.rules.slotMinutes,
    intents: (p) => p.intents.map((i) => ({ name: i.name, description: i.description, priority: i.priority, skills: Object.entries(i.skills).map(([name, level]) => ({ name, level })) })),
    callbacks: (p, args, ctx) => callbackConnection(ctx, args, p.id),
  },
};
