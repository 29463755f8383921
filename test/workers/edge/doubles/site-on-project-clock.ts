/**
 * The site Worker as the edge project runs it: the deployed Worker, whole, whose clock the
 * tests set (test/workers/project-clock.ts). Its objects and routes read time through
 * `systemClock`, which this bundle shares with them; `PUT /_test/clock` moves it. `PUT /_test/dark`
 * makes its /healthz fail, as a dead runtime's would, for the edge's direct probes (every other
 * route still answers). Built for the tests only (vitest.config.ts): no deployed site has these routes.
 */
import { systemClock } from "../../../../objects/shared/clock.ts";
import site from "../../../../workers/site/index.ts";
import type { SiteEnv } from "../../../../workers/site/env.ts";

export { CostLimiter, MeshView, Roster } from "../../../../workers/site/index.ts";

// Until the tests set it, the time the edge's tests start from: never the wall clock.
let nowMs = Date.parse("2030-01-09T16:00:00Z");
systemClock.now = () => nowMs;
let dark = false;

export default {
  async fetch(request: Request, env: SiteEnv, ctx: ExecutionContext): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/_test/clock" && request.method === "PUT") {
      nowMs = ((await request.json()) as { nowMs: number }).nowMs;
      return new Response(null, { status: 204 });
    }
    if (path === "/_test/dark" && request.method === "PUT") {
      dark = ((await request.json()) as { dark: boolean }).dark;
      return new Response(null, { status: 204 });
    }
    if (dark && path === "/healthz") return new Response(null, { status: 503 });
    return site.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<SiteEnv>;
