import { execFileSync } from "node:child_process";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_SECRETS, TEST_SITES } from "./test/constants.ts";
import { TEST_MEMBER_KEYS } from "./test/workers/member-keys.ts";

const SITE_BUILD = ".wrangler/test-build/site";

/** The edge's pages (its static assets, dist/edge-assets): wrangler builds them before it starts the edge; the plugin does not. */
function buildPages(): void {
  execFileSync(process.execPath, ["scripts/build-pages.ts"], { stdio: "inherit" });
}

/**
 * The site Worker as wrangler bundles it for deployment, run beside the edge under test, with
 * one route more: the project's clock (test/workers/project-clock.ts).
 */
function buildSiteWorker(): string {
  const entry = "test/workers/edge/doubles/site-on-project-clock.ts";
  execFileSync("npx", ["wrangler", "deploy", entry, "--dry-run", "--env", "paris", "--outdir", SITE_BUILD], { stdio: "ignore" });
  return `${SITE_BUILD}/site-on-project-clock.js`;
}

export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        // Pure decisions (rules, scoring, transitions, availability): no runtime needed.
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml", environment: "paris" },
            miniflare: { bindings: { ...TEST_SECRETS, HEARTBEAT_TIMEOUT_MS: "30000", MEMBER_SIGNING_KEY: TEST_MEMBER_KEYS.paris } },
          }),
        ],
        test: { name: "site", include: ["test/workers/site/**/*.test.ts"], setupFiles: ["test/workers/setup.ts", "test/workers/site/setup.ts"] },
      },
      {
        // The edge with three real site Workers bound beside it, as a deployment with service bindings would be.
        plugins: [
          cloudflareTest(() => {
            const scriptPath = buildSiteWorker();
            buildPages();
            return {
              wrangler: { configPath: "./wrangler.toml", environment: "edge" },
              miniflare: {
                // The gateway reads the membership on every query (tests change it) and gives a silent member 1 s.
                bindings: { ...TEST_SECRETS, PUBLIC_URL: "https://edge.test", GRAPHQL_MEMBERSHIP_TTL_MS: "0", GRAPHQL_SITE_TIMEOUT_MS: "1000" },
                serviceBindings: {
                  ...Object.fromEntries(TEST_SITES.map((s) => [`SITE_${s.toUpperCase()}`, `site-${s}`])),
                  TELEPHONY: "telephony",
                },
                // The edge's only outbound calls in tests are webhooks to a provider's telephony.
                outboundService: "telephony",
                workers: [
                  {
                    // A provider's telephony, and a carrier's REST API it hands the carrier's hosts to.
                    name: "telephony",
                    modules: ["telephony.js", "carrier.js"].map((file) => ({ type: "ESModule" as const, path: `test/workers/edge/doubles/${file}` })),
                    compatibilityDate: "2026-10-01",
                  },
                  ...TEST_SITES.map((siteId) => ({
                  name: `site-${siteId}`,
                  modules: true,
                  scriptPath,
                  compatibilityDate: "2026-10-01",
                  durableObjects: {
                    ROSTER: { className: "Roster", useSQLite: true },
                    MESH_VIEW: { className: "MeshView", useSQLite: true },
                    GRAPHQL_BUDGETS: { className: "CostLimiter", useSQLite: true },
                  },
                  bindings: {
                    ...TEST_SECRETS,
                    SITE_ID: siteId,
                    MEMBER_SIGNING_KEY: TEST_MEMBER_KEYS[siteId],
                    HEARTBEAT_TIMEOUT_MS: "30000",
                    DIGEST_TTL_MS: "15000",
                  },
                  })),
                ],
              },
            };
          }),
        ],
        test: { name: "edge", include: ["test/workers/edge/**/*.test.ts"], setupFiles: ["test/workers/setup.ts", "test/workers/edge/setup.ts"] },
      },
      {
        // Whole processes: the launched mesh, peers, browsers.
        // graphql ships CJS (main) and ESM (module) builds; Node loads the libraries' copy as CJS, so tests must
        // import that same copy, or schemas built by one are foreign to the other.
        resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts", "test/chaos/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
