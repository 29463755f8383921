/**
 * The soak, CI-sized: two minutes of the local mesh with agents working, callbacks from
 * three providers, and a fault every 30 s. Nothing may be lost or dialed twice; the hour
 * this stands for is in the README (`npm run soak -- --minutes 60`).
 */
import { describe, expect, it } from "vitest";
import { describeReport } from "../../chaos/soak-report.ts";
import { runSoak } from "../../chaos/soak.ts";
import { PORTS } from "../node/ports.ts";

describe("the soak, for two minutes", () => {
  it("loses nothing and dials nothing twice through a fault every 30 s", async () => {
    const report = await runSoak({
      minutes: 2,
      ratePerMinute: 6,
      faultEveryMinutes: 0.5,
      seed: 7,
      edgePort: PORTS.chaosSoak.edge,
      sitePort: PORTS.chaosSoak.site,
      log: () => {},
    });
    console.log(describeReport(report));
    expect(report.faults.length).toBeGreaterThanOrEqual(3);
    expect(report.figures.accepted).toBeGreaterThanOrEqual(8);
    expect(report.figures.fired).toBeGreaterThan(0);
    expect(report.broken).toEqual([]);
  }, 480_000);
});
