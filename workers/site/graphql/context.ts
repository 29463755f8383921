import type { Viewer } from "../../../federation/wire/viewer.ts";
import type { SiteEnv } from "../env.ts";

/** What every resolver of the site subgraph gets: the Worker's bindings and whom it answers for. */
export type SiteGraphContext = {
  env: SiteEnv;
  viewer: Viewer;
};
