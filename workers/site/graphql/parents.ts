/** What the site subgraph's resolvers receive as parents (codegen's mappers point here). */
import type { GraphAgent, ReservationView } from "../../../objects/roster/roster.ts";

export type SiteParent = { id: string };
export type AgentParent = GraphAgent;
export type ReservationParent = ReservationView;
