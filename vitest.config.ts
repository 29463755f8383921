import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Secrets the Workers read; tests use fixed ones (the local mesh makes its own). */
export const TEST_SECRETS = {
  MESH_ADMIN_TOKEN: "test-admin-token",
  SITE_JWT_SECRET: "test-site-jwt-secret-0123456789abcdef",
  PEER_SECRET: "test-peer-secret",
  CLOUD_SECRET: "test-cloud-secret",
};

export default defineConfig({
  test: {
    projects: [
      {
        // Pure decisions (rules, scoring, transitions, availability): no runtime needed.
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml", environment: "paris" },
            miniflare: { bindings: { ...TEST_SECRETS, HEARTBEAT_TIMEOUT_MS: "30000" } },
          }),
        ],
        test: { name: "site", include: ["test/workers/site/**/*.test.ts"], setupFiles: ["test/workers/setup.ts"] },
      },
      {
        // Whole processes: the launched mesh, peers, browsers.
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
