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
