/**
 * Every node test file's own ports, in one place: files run one at a time, but a teardown
 * that hangs in one must not leave the next "address in use". A mesh's sites take the
 * site port and the ones after it (three by default); peers and extra Workers take ports
 * the system hands out (`freePort`). All below 32768, where Linux's ephemeral range begins:
 * a port in that range can be taken at any moment by an outgoing connection or a peer
 * listening on port 0 (seen: the README test's 38802, held by something else in CI).
 * Benches use 29787 and up; `npm run soak` 12787 and up.
 */
export const PORTS = {
  bestAgent: { edge: 18687, site: 18701 },
  e2e: { edge: 18787, site: 18801 },
  pages: { edge: 19787, site: 19801, providerPage: 19780 },
  launcherInProcess: { edge: 21787, site: 21801 },
  launcherSupervised: { edge: 22787, site: 22801 },
  docsPage: { edge: 23787, site: 23801 },
  launcherProcess: { edge: 24787, site: 24801 },
  graphql: { edge: 28787, site: 28801 },
  readme: { edge: 25787, site: 25801 },
  partner: { edge: 26787, site: 26801 },
  mcp: { edge: 27787, site: 27801 },
  webhooks: { edge: 20787, site: 20801, receiver: 20780 },
  chaosEdge: { edge: 17787, site: 17801, telephony: 17780 },
  chaosSites: { edge: 16787, site: 16801 },
  chaosRestart: { edge: 15787, site: 15801 },
  chaosSoak: { edge: 11787, site: 11801 },
  chaosClock: { edge: 14787, site: 14801 },
} as const;
