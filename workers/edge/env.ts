import type { CallbackCloud, CloudEnv } from "../../objects/callback-cloud/callback-cloud.ts";
import type { Directory } from "../../objects/directory/directory.ts";
import type { SimulatedMediaServer } from "../../objects/media-server/simulated-media-server.ts";

/** Bindings of the edge Worker (wrangler.toml, top level); secrets come from `wrangler secret put`. */
export interface EdgeEnv extends CloudEnv {
  CALLBACK_CLOUD: DurableObjectNamespace<CallbackCloud>;
  DIRECTORY: DurableObjectNamespace<Directory>;
  MEDIA: DurableObjectNamespace<SimulatedMediaServer>;
  /** Bearer token of the `admin` role. */
  MESH_ADMIN_TOKEN: string;
  /** Shared with the edge's own federation peer. */
  PEER_SECRET?: string;
}
