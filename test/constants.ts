/**
 * What the tests share as fixed values: the secrets the Workers under test are given
 * (vitest.config.ts binds them; the local mesh makes its own), named once, so a test
 * that needs the admin token or the peer secret reads it from here.
 */
export const TEST_SECRETS = {
  MESH_ADMIN_TOKEN: "test-admin-token",
  SITE_JWT_SECRET: "test-site-jwt-secret-0123456789abcdef",
  EDGE_JWT_SECRET: "test-edge-jwt-secret-0123456789abcdef",
  PEER_SECRET: "test-peer-secret",
  // A key made for the tests only: the edge signs membership lists with it.
  EDGE_MEMBERSHIP_KEY: '{"crv":"Ed25519","d":"TE-8pECpSnLlkmHwiHW4xGQgxdcaCXdBdD7pDn7BJGc","x":"QnoWKw_gw8StGdMyVjCS1ttYUQJq04rka2MfpH-rNgc","kty":"OKP"}',
  EDGE_MEMBERSHIP_PUBLIC_KEY: '{"crv":"Ed25519","x":"QnoWKw_gw8StGdMyVjCS1ttYUQJq04rka2MfpH-rNgc","kty":"OKP"}',
};

/**
 * The instants the tests start from, each named for what it is (they differ on purpose): all
 * in 2030, years ahead of the real date, so no alarm set by a test fires on its own.
 */
export const INSTANTS = {
  /** Wednesday 2030-01-09, 10:00 in Chicago: Acme (America/Chicago, 08:00–20:00) is open. The edge's tests. */
  chicagoWednesdayMorning: Date.parse("2030-01-09T16:00:00Z"),
  /** Wednesday 2030-01-09, 10:00 in Paris: agents' Paris shifts are on. The site's tests. */
  parisWednesdayMorning: Date.parse("2030-01-09T09:00:00Z"),
  /** Monday 2030-01-07, 09:00 UTC: the scheduler's pure tests (time is only arithmetic there). */
  schedulerMonday: Date.UTC(2030, 0, 7, 9),
} as const;

/** The three site Workers the edge project runs beside the edge (vitest.config.ts). */
export const TEST_SITES = ["paris", "austin", "manila"] as const;
