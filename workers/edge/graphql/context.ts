import type { GatewayContext } from "../../../federation/runtime/gateway/context.ts";
import type { GatewayMembership } from "../../../federation/runtime/gateway/members.ts";
import type { SideErrors } from "../../shared/graphql/server.ts";
import type { Viewer } from "../../../federation/wire/viewer.ts";
import type { EdgeEnv } from "../env.ts";

/** What every resolver of the cloud subgraph gets. */
export type CloudGraphContext = SideErrors & {
  env: EdgeEnv;
  /** staff (admin, ops) or a partner. */
  viewer: Viewer;
  /** The members the gateway stitches (and whose digests make mesh availability). */
  membership: GatewayMembership;
  /** Per-request batches and readings shared by resolvers (never kept across requests). */
  memo: Map<string, unknown>;
};

/** A per-request reading, made once whatever the number of resolvers that need it. */
export function memoized<T>(ctx: { memo: Map<string, unknown> }, key: string, make: () => T): T {
  if (!ctx.memo.has(key)) ctx.memo.set(key, make());
  return ctx.memo.get(key) as T;
}

/** A request to the federated schema: the cloud subgraph's context and what the gateway reads. */
export type FederatedContext = CloudGraphContext & GatewayContext;
