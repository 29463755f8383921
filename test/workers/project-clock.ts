/**
 * A workerd project's one clock. Every Worker reads time through `systemClock`
 * (objects/shared/clock.ts): the Worker under test, its objects and the tests share one
 * isolate, so replacing its `now` moves them all. In the edge project each site Worker runs
 * in an isolate of its own, built from edge/doubles/site-on-project-clock.ts, and is told
 * every move. The edge, the sites and the tokens they sign for each other therefore agree
 * on what time it is, and a test moves that time for all of them at once.
 */
import { env } from "cloudflare:test";
import { systemClock, type Clock } from "../../objects/shared/clock.ts";
import { INSTANTS, TEST_SITES } from "../constants.ts";

let current: number = INSTANTS.chicagoWednesdayMorning;
systemClock.now = () => current;

/** The site Workers bound beside the one under test: the edge project's three, none in the site project. */
const bound = env as unknown as Record<string, Fetcher | undefined>;
const siteWorkers = TEST_SITES.flatMap((siteId) => {
  const worker = bound[`SITE_${siteId.toUpperCase()}`];
  return worker ? [{ siteId, worker }] : [];
});

export interface ProjectClock extends Clock {
  /** Every Worker of the project at `ms`, once each has heard. */
  set(ms: number): Promise<void>;
  advance(ms: number): Promise<void>;
}

export const projectClock: ProjectClock = {
  now: () => current,
  async set(ms: number) {
    current = ms;
    await Promise.all(
      siteWorkers.map(async ({ siteId, worker }) => {
        const res = await worker.fetch(`https://${siteId}.site/_test/clock`, { method: "PUT", body: JSON.stringify({ nowMs: ms }) });
        if (res.status !== 204) throw new Error(`site ${siteId} did not take the time: ${res.status}`);
      }),
    );
  },
  advance(ms: number) {
    return this.set(current + ms);
  },
};

/** Each test of a project starts at its instant, whatever the one before did. */
export const startEachTestAt = (ms: number) => () => projectClock.set(ms);
