/**
 * The site Worker as the edge project runs it: the deployed Worker, whole, whose clock the
 * tests set (test/workers/project-clock.ts). Its objects and routes read time through
 * `systemClock`, which this bundle shares with them; `PUT /_test/clock` moves it. Built for
 * the tests only (vitest.config.ts): no deployed site has this route.
 */
import { systemClock } from "../../../../objects/shared/clock.ts";
import site from "../../../../workers/site/index.ts";
import type { SiteEnv } from "../../../../workers/site/env.ts";

export { CostLimiter, MeshView, Roster } from "../../../../workers/site/index.ts";

// Until the tests set it, the time the edge's tests start from: never the wall clock.
let nowMs = Date.parse("2030-01-09T16:00:00Z");
systemClock.now = () => nowMs;

export default {
  async fetch(request: Request, env: SiteEnv, ctx: ExecutionContext): Promise<Response> {
    if (new URL(request.url).pathname === "/_test/clock" && request.method === "PUT") {
      nowMs = ((await request.json()) as { nowMs: number }).nowMs;
      return new Response(null, { status: 204 });
    }
    return site.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<SiteEnv>;
