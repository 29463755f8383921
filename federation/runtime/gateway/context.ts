/**
 * What the gateway's resolvers and executors read of a request's context: this request's
 * calls to sites, the errors to add beside the data, and the viewer signed for each member.
 * The edge's context has this and the cloud subgraph's own (workers/edge/graphql/context.ts).
 */
import type { GraphQLError } from "graphql";
import { unreachable } from "./executors.ts";

export interface SiteCalls {
  /** Every call to a site must be answered by then: a silent site costs a query this long at most. */
  deadlineMs: number;
  timeoutMs: number;
  /** Sites that did not answer, and what the query says about them: asked again, they fail at once. */
  dead: Map<string, GraphQLError>;
  /** HTTP requests made to each member and how long they took together: answered in `extensions.members`. */
  stats: Map<string, { requests: number; ms: number }>;
}

export type GatewayContext = {
  /** Errors that go beside the data (a member that did not answer, named). */
  sideErrors: GraphQLError[];
  siteCalls: SiteCalls;
  /** The edge's token for each member, naming the caller's viewer (federation/wire/edge-tokens.ts); a member without one is not asked. */
  siteTokens?: ReadonlyMap<string, string>;
};

/** `down`: members the mesh view holds down, answered for at once (site_unreachable) rather than waited for. */
export function newSiteCalls(nowMs: number, timeoutMs: number, down: readonly string[] = []): SiteCalls {
  const dead = new Map(down.map((siteId) => [siteId, unreachable(siteId, `site ${siteId} is down (no digest for too long): not asked`, { down: true })] as const));
  return { deadlineMs: nowMs + timeoutMs, timeoutMs, dead, stats: new Map() };
}
