/** What the cloud subgraph's resolvers receive as parents (codegen's mappers point here). */
import type { GraphCallback } from "../../../objects/callback-cloud/graph-reads.ts";
import type { PublicProvider } from "../../../objects/callback-cloud/provider.ts";
import type { MemberView } from "../../../objects/mesh-view/mesh-view.ts";

export type CallbackParent = GraphCallback;
/** An agent as the cloud knows it: its key. Its callbacks are read in one batch for every agent of a query. */
export type AgentParent = { id: string; siteId: string };
export type ProviderParent = PublicProvider;
export type MemberParent = MemberView;
