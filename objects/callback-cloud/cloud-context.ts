/**
 * What the callback cloud's modules share (intake, planning, the session manager,
 * events, staff actions): its env, storage and SQL, the site client, and the clock
 * and mesh view, read through the object so that tests can replace them. Plus the
 * vocabulary of its answers: who asks (`Actor`) and the timing constants.
 */
import type { MeshView } from "../../federation/runtime/mesh-view.ts";
import type { MeshMember } from "../../federation/runtime/mesh-view.ts";

/** The edge's mesh view object, as the cloud reads it: the members' latest gossip (the cloud knows no more of it). */
export interface GossipSource extends Rpc.DurableObjectBranded {
  meshMembers(siteIds: readonly string[]): Promise<MeshMember[]>;
}
import type { SiteClient, SiteTransportEnv } from "../../federation/runtime/site-client.ts";
import { fail } from "../shared/problem.ts";
import type { Sql } from "../shared/sql.ts";
import type { AiBinding } from "./intent/hosted.ts";
import type { CallbackStatus } from "../../federation/wire/vocabulary.ts";

export interface CloudEnv extends SiteTransportEnv {
  /** The simulated media server (local mesh, tests); providers with a webhook use theirs. */
  MEDIA?: DurableObjectNamespace<import("../media-server/simulated-media-server.ts").SimulatedMediaServer>;
  /** One per provider with a carrier account: the carrier adapter (objects/media-server/carrier-gateway.ts). */
  CARRIER?: DurableObjectNamespace<import("../media-server/carrier-gateway.ts").CarrierGateway>;
  /** One object per client address or phone number: anonymous intake's counters (intake-guard.ts). */
  RATE_LIMITER: DurableObjectNamespace<import("../rate-limiter/rate-limiter.ts").RateLimiter>;
  /** Where customers reach this edge, for the links it hands out. */
  PUBLIC_URL?: string;
  /** The edge's mesh view: digests gossiped by every member. */
  MESH_VIEW?: DurableObjectNamespace<GossipSource>;
  /** One per provider: its event webhooks (objects/webhooks), handed each lifecycle event. */
  WEBHOOKS?: DurableObjectNamespace<import("../webhooks/webhook-outbox.ts").WebhookOutbox>;
  /** Agents' desk feeds (objects/desk-feed): told when one of their callbacks changes. */
  DESKS?: DurableObjectNamespace<import("../desk-feed/desk-feed.ts").DeskFeed>;
  /** Key of the verifiers handed to customers (and of the edge's tokens). */
  EDGE_JWT_SECRET: string;
  /** "workers-ai" puts the hosted model (binding AI) in front of the local intent engine; off by default. */
  INTENT_ENGINE?: string;
  AI?: AiBinding;
}

/** Who asks. Customers prove themselves with the verifier; staff with their token (checked by the Worker). */
export type Actor =
  | { role: "customer"; verifier: string }
  | { role: "admin" }
  | { role: "ops" }
  | { role: "agent"; siteId: string; agentId: string };

export interface CloudContext {
  readonly env: CloudEnv;
  readonly storage: DurableObjectStorage;
  readonly sql: Sql;
  readonly sites: SiteClient;
  now(): number;
  mesh(): MeshView;
}

/** How soon an unplanned callback is planned again. */
export const REPLAN_INTERVAL_MS = 60_000;
/** How soon a dial whose answer never came (the object died waiting for it) is asked again, with its own key. */
export const DIAL_ANSWER_MS = 10_000;
/** How long a dial with no progress report counts as under way. */
export const PROGRESS_TIMEOUT_MS = 2 * 60_000;
/** Callbacks handled per alarm run; the alarm re-arms at once for the rest. */
export const ALARM_BATCH = 2000;
/** Callbacks prepared at once in an alarm run (each may call a site). */
export const PREPARE_CONCURRENCY = 16;
/** How early the alarm wakes for due work, so attempt records are durable before the call time. */
export const DIAL_LEAD_MS = 300;
/** How long before the call the agent's reservation is confirmed at its site. */
export const CLAIM_LEAD_MS = 30_000;

export const iso = (ms: number) => new Date(ms).toISOString();

/** Runs `work` over `items`, at most `limit` at a time. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}

export const noProvider = () => fail(404, "provider_not_found", "no such provider");
export const notFound = () => fail(404, "callback_not_found", "no callback with that confirmation and verifier");
export const illegal = (from: CallbackStatus, to: CallbackStatus) =>
  fail(409, "illegal_transition", `a ${from} callback cannot become ${to}`, { from, to });
