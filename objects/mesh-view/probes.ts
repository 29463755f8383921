/**
 * Direct probes of silent members: the mesh view asks a member's Worker (GET /healthz,
 * by the route this node uses to reach it) when gossip has gone quiet, so a site whose
 * runtime died is `down` within a couple of seconds instead of after its digest's time
 * to live runs out four times over. The answers are observations of the moment, kept
 * in memory: after a restart the view simply asks again. Where this node has no route to
 * a member (a site's own view of the others), nothing is probed and gossip alone decides.
 */
import { siteRoute, type SiteTransportEnv } from "../../federation/runtime/site-client.ts";
import { shouldProbe, type HeardFrom, type Probe } from "../../federation/wire/health.ts";

const PROBE_TIMEOUT_MS = 1_000;

export class DirectProbes {
  private readonly last = new Map<string, Probe>();

  constructor(private readonly env: SiteTransportEnv) {}

  /** The latest probe of a member, if any. */
  of(siteId: string): Probe | null {
    return this.last.get(siteId) ?? null;
  }

  /** Probes every member that gossip has left silent (shouldProbe), at once; answers when all have answered or timed out. */
  async probeSilent(members: readonly string[], heard: ReadonlyMap<string, HeardFrom>, nowMs: number): Promise<void> {
    const due = members.filter((siteId) => shouldProbe(heard.get(siteId) ?? null, nowMs, this.of(siteId)));
    await Promise.all(due.map((siteId) => this.probe(siteId, nowMs)));
  }

  /** Asks one member now, whenever it was last asked: true when its Worker answers, false when not or when there is no route to it. */
  async answers(siteId: string, nowMs: number): Promise<boolean> {
    await this.probe(siteId, nowMs);
    const last = this.of(siteId);
    return last !== null && last.atMs === nowMs && last.answered;
  }

  private async probe(siteId: string, nowMs: number): Promise<void> {
    const route = siteRoute(this.env, siteId);
    if (!route) return;
    let answered = false;
    try {
      const res = await route.fetch(`${route.base}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      answered = res.ok;
      await res.body?.cancel();
    } catch {
      answered = false;
    }
    this.last.set(siteId, { atMs: nowMs, answered });
  }
}
