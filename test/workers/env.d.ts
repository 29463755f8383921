import type { SiteEnv } from "../../workers/site/env.ts";

// The `env` of cloudflare:test is the site Worker's.
declare global {
  namespace Cloudflare {
    interface Env extends SiteEnv {}
  }
}
