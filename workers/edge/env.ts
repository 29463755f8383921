import type { CallbackProvider } from "../../objects/callback-cloud/callback-provider.ts";
import type { CallbackShard, CloudEnv } from "../../objects/callback-cloud/callback-shard.ts";
import type { DeskFeed } from "../../objects/desk-feed/desk-feed.ts";
import type { Directory } from "../../objects/directory/directory.ts";
import type { CarrierGateway } from "../../objects/media-server/carrier-gateway.ts";
import type { SimulatedMediaServer } from "../../objects/media-server/simulated-media-server.ts";
import type { MeshView } from "../../objects/mesh-view/mesh-view.ts";
import type { WebhookOutbox } from "../../objects/webhooks/webhook-outbox.ts";
import type { BudgetEnv } from "../shared/graphql/budget.ts";

/** Bindings of the edge Worker (wrangler.toml, top level); secrets come from `wrangler secret put`. */
export interface EdgeEnv extends Omit<CloudEnv, "MESH_VIEW">, BudgetEnv {
  /** One per provider: its registration and intent engine. */
  PROVIDERS: DurableObjectNamespace<CallbackProvider>;
  /** A provider's callbacks, spread over its shards (see shards.ts). */
  CALLBACK_SHARDS: DurableObjectNamespace<CallbackShard>;
  DIRECTORY: DurableObjectNamespace<Directory>;
  MEDIA: DurableObjectNamespace<SimulatedMediaServer>;
  /** One per provider with a carrier account: the carrier adapter. */
  CARRIER: DurableObjectNamespace<CarrierGateway>;
  MESH_VIEW: DurableObjectNamespace<MeshView>;
  /** One per agent: its open desks' live feed (objects/desk-feed). */
  DESKS: DurableObjectNamespace<DeskFeed>;
  /** One per provider: its event webhooks (objects/webhooks). */
  WEBHOOKS: DurableObjectNamespace<WebhookOutbox>;
  /** The pages' static files (dist/edge-assets, built from pages/). */
  ASSETS: Fetcher;
  /** The edge's Ed25519 private key (JWK JSON): it signs the membership list. */
  EDGE_MEMBERSHIP_KEY?: string;
  EDGE_MEMBERSHIP_PUBLIC_KEY?: string;
  /** Bearer token of the `admin` role. */
  MESH_ADMIN_TOKEN: string;
  /** Shared with the edge's own federation peer. */
  PEER_SECRET?: string;
  /** How long a member may take to answer its part of a GraphQL query (ms; default 2000). */
  GRAPHQL_SITE_TIMEOUT_MS?: string;
  /** How often the gateway reads the membership again (ms; default 1000; 0: every query). */
  GRAPHQL_MEMBERSHIP_TTL_MS?: string;
}
