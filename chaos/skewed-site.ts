/**
 * The site Worker, whole, with a clock that can jump: the chaos suite's build of a node whose
 * system clock stepped (a bad NTP sync, a VM resumed). `PUT /_chaos/clock {"skewMs": n}` with
 * the mesh's admin token moves every read of `systemClock` in this runtime n ms ahead. Alarms are
 * translated both ways, as a runtime on that machine would see them: one asked for at the
 * node's time T fires when the node's clock reads T. Started only by chaos tests
 * (`MeshOptions.siteEntrypoint`); no deployed site has this route.
 */
import { systemClock } from "../objects/shared/clock.ts";
import site, { CostLimiter, MeshView as SiteMeshView, Roster as SiteRoster } from "../workers/site/index.ts";
import type { SiteEnv } from "../workers/site/env.ts";

export { CostLimiter };

// The Worker and its objects share this isolate, so one offset moves them all.
let skewMs = 0;
systemClock.now = () => Date.now() + skewMs;

function onSkewedTime(ctx: DurableObjectState): void {
  const storage = ctx.storage;
  const setAlarm = storage.setAlarm.bind(storage);
  const getAlarm = storage.getAlarm.bind(storage);
  Object.assign(storage, {
    setAlarm: (at: number | Date, options?: DurableObjectSetAlarmOptions) => setAlarm(+at - skewMs, options),
    getAlarm: async (options?: DurableObjectGetAlarmOptions) => {
      const at = await getAlarm(options);
      return at === null ? null : at + skewMs;
    },
  });
}

export class Roster extends SiteRoster {
  constructor(ctx: DurableObjectState, env: ConstructorParameters<typeof SiteRoster>[1]) {
    onSkewedTime(ctx);
    super(ctx, env);
  }
}

export class MeshView extends SiteMeshView {
  constructor(ctx: DurableObjectState, env: ConstructorParameters<typeof SiteMeshView>[1]) {
    onSkewedTime(ctx);
    super(ctx, env);
  }
}

export default {
  async fetch(request: Request, env: SiteEnv, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/_chaos/clock" && request.method === "PUT") {
      if (request.headers.get("authorization") !== `Bearer ${env.MESH_ADMIN_TOKEN}`) return new Response(null, { status: 401 });
      const body = (await request.json()) as { skewMs?: unknown };
      if (typeof body.skewMs !== "number" || !Number.isFinite(body.skewMs)) return new Response(null, { status: 400 });
      skewMs = body.skewMs;
      return Response.json({ skewMs, nowMs: systemClock.now() });
    }
    return site.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<SiteEnv>;
