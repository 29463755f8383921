/**
 * Every Worker script, built as `wrangler deploy` builds it, fits the Workers Free size limit
 * (3 MiB gzip) and runs its global scope in workerd well within the platform's 1 s.
 * `npm run bench -- bundles` measures the same for every environment, with repeats.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, environments, FREE_GZIP_LIMIT_BYTES, mib, sizeOf, STARTUP_LIMIT_MS, startupOf, writeEmptyBundle } from "../../bench/lib/bundles.ts";
import { fixed, table } from "../../bench/lib/report.ts";

const plans = environments();
// The sites are one Worker script (the same `main`) deployed with different vars, so one
// build per script stands for every environment that uses it: two builds instead of four.
const scripts = plans.filter((p, i) => plans.findIndex((q) => q.main === p.main) === i);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "callback-mesh-bundles-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("deployable bundles", () => {
  it("wrangler.toml deploys the edge and sites that share one script", () => {
    expect(plans.map((p) => p.env)).toContain("edge");
    const sites = plans.filter((p) => p.env !== "edge");
    expect(sites.length).toBeGreaterThan(0);
    expect(new Set(sites.map((p) => p.main)).size).toBe(1);
    expect(scripts.map((p) => p.env)).toEqual(["edge", sites[0].env]);
  });

  it("each script is under 3 MiB gzip and starts in under 1 s of CPU", { timeout: 300_000 }, async () => {
    const rows: string[][] = [];
    // Built together (nothing is timed yet), then profiled one at a time so neither slows the other.
    const built = await Promise.all(scripts.map((plan) => build(plan.env, dir)));
    const results = [];
    for (const [i, plan] of scripts.entries()) {
      const size = await sizeOf(built[i].bundleFile);
      let startup = await startupOf(built[i].bundleFile, join(dir, `${plan.env}.cpuprofile`));
      // Other work on this machine can only add to a profile, never take from it: over the
      // limit, a second look decides, and the lower of the two stands.
      if (startup.activeMs >= STARTUP_LIMIT_MS) {
        const again = await startupOf(built[i].bundleFile, join(dir, `${plan.env}-again.cpuprofile`));
        if (again.activeMs < startup.activeMs) startup = again;
      }
      results.push({ plan, size, startup });
    }
    // The floor on this (shared, noisy) machine: a Worker with nothing in its global scope.
    const emptyFile = join(dir, "empty.bundle");
    await writeEmptyBundle(emptyFile, join(dir, `${scripts[0].env}.bundle`));
    const empty = await startupOf(emptyFile, join(dir, "empty.cpuprofile"));

    rows.push(["(empty Worker)", "—", "—", fixed(empty.activeMs), fixed(empty.windowMs), "1.0"]);
    for (const { plan, size, startup } of results) {
      rows.push([plan.env, mib(size.rawBytes), mib(size.gzipBytes), fixed(startup.activeMs), fixed(startup.windowMs), fixed(startup.windowMs / empty.windowMs)]);
    }
    console.log(`${table(["Worker", "raw", "gzip", "startup CPU ms", "window ms", "× empty"], rows)}\n(limits: ${mib(FREE_GZIP_LIMIT_BYTES, 0)} gzip, ${STARTUP_LIMIT_MS} ms)`);

    for (const { plan, size, startup } of results) {
      expect(size.gzipBytes, `${plan.env} gzip bytes`).toBeLessThanOrEqual(FREE_GZIP_LIMIT_BYTES);
      expect(startup.activeMs, `${plan.env} startup CPU ms`).toBeLessThan(STARTUP_LIMIT_MS);
      // A profile with no samples would pass any limit: the Worker's module must really have run.
      expect(startup.samples, `${plan.env} profile samples`).toBeGreaterThan(1);
    }
  });
});
