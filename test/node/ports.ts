/**
 * Every node test file's own ports, in one place: files run one at a time, but a teardown
 * that hangs in one must not leave the next "address in use". A mesh's sites take the
 * site port and the ones after it (three by default); peers and extra Workers take ports
 * the system hands out (`freePort`). Benches use 29787 and up.
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
  readme: { edge: 38787, site: 38801 },
  partner: { edge: 48787, site: 48801 },
} as const;
