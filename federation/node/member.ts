/**
 * One member of the federation on the Node side: its libp2p peer, bridged to its
 * own Worker over loopback with the secret the two share.
 *
 * - Membership: the signed list is read from the edge every couple of seconds,
 *   checked with the edge's public key, handed to the peer (whom to trust, whom to
 *   dial) and to the Worker (whose digests count).
 * - Out: the Worker's digest is read every `pollMs` (100 ms: a short interval rather
 *   than a long poll, since a GET on loopback costs about a millisecond and keeps the
 *   Worker free of held requests, while a change still leaves within ~100 ms); it is
 *   published as soon as its content changes, and at least every `refreshMs` (1 s,
 *   a quarter of the digest's 4 s time to live) so others know the site is alive.
 * - In: digests the peer accepted go to the Worker's /federation/digests.
 *
 * A peer never makes up a digest: it only republishes what its Worker gave it,
 * so a site whose Worker died ages out exactly like a site whose peer died.
 */
import type { JWK } from "jose";
import type { Digest } from "../wire/digest.ts";
import { siteOfPeer, verifyMembership, type Membership } from "../wire/membership.ts";
import { startPeer, type Peer } from "./peer/peer.ts";

export interface MemberOptions {
  /** The member's site, or "edge". */
  siteId: string;
  /** This member's own Worker. */
  workerUrl: string;
  /** Shared with its Worker (PEER_SECRET). */
  peerSecret: string;
  /** Where the signed membership list is (GET /federation/membership). */
  edgeUrl: string;
  edgePublicKey: JWK;
  keyFile: string;
  listen: string[];
  /** Whether this member has a roster to publish (sites do, the edge does not). */
  publishes: boolean;
  pollMs?: number;
  refreshMs?: number;
  membershipPollMs?: number;
  log?: (message: string) => void;
}

export interface MeshMemberProcess {
  peer: Peer;
  membership(): Membership | null;
  stop(): Promise<void>;
}

const TIMEOUT_MS = 2_000;
const STATS_EVERY_MS = 5_000;

export async function startMember(options: MemberOptions): Promise<MeshMemberProcess> {
  const log = options.log ?? (() => {});
  const pollMs = options.pollMs ?? 100;
  const refreshMs = options.refreshMs ?? 1_000;
  const membershipPollMs = options.membershipPollMs ?? 2_000;
  const auth = { authorization: `Bearer ${options.peerSecret}` };
  let membership: Membership | null = null;
  // Only the newest digest per site waits for the Worker: older ones would be refused anyway.
  const inbox = new Map<string, Digest>();
  let forwarding: Promise<void> | null = null;

  const peer = await startPeer({
    keyFile: options.keyFile,
    listen: options.listen,
    bootstrap: [],
    memberSite: (peerId) => siteOfPeer(membership, peerId),
    onDigest: (digest) => {
      inbox.set(digest.siteId, digest);
      // Hand it on at once rather than at the next tick; one POST at a time.
      forwarding ??= forward()
        .catch((error: unknown) => log(`forward: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => (forwarding = null));
    },
    log,
  });

  const post = (route: string, body: unknown) =>
    fetch(`${options.workerUrl}${route}`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });

  async function refreshMembership(): Promise<void> {
    const res = await fetch(`${options.edgeUrl}/federation/membership`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (res.status === 404) return; // no members yet
    if (!res.ok) throw new Error(`edge answered ${res.status}`);
    const { jws } = (await res.json()) as { jws: string };
    const list = await verifyMembership(jws, options.edgePublicKey);
    if (!list) throw new Error("the membership list is not signed by the edge");
    if (membership && list.seq <= membership.seq) return;
    membership = list;
    log(`membership ${list.seq}: ${list.members.map((m) => m.siteId).join(", ")}`);
    if (options.siteId !== "edge") await post("/federation/membership", { jws });
    for (const m of list.members) {
      // One connection per pair: the peer with the smaller id dials (the other's re-dialling covers restarts).
      if (m.peerId === peer.peerId || m.peerId < peer.peerId) continue;
      for (const addr of m.addrs) await peer.dial(addr).catch(() => {});
    }
  }

  let lastTag: string | null = null;
  let lastKey = "";
  let lastPublishedAt = 0;
  async function publishOwn(): Promise<void> {
    const refreshDue = Date.now() - lastPublishedAt >= refreshMs;
    // Between refreshes, ask only whether the roster changed: an unchanged one answers 304 at no cost.
    const headers = refreshDue || lastTag === null ? auth : { ...auth, "if-none-match": lastTag };
    const res = await fetch(`${options.workerUrl}/federation/digest`, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (res.status === 304) return;
    if (!res.ok) throw new Error(`own Worker answered ${res.status}`);
    lastTag = res.headers.get("etag");
    const digest = (await res.json()) as Digest;
    const key = contentKey(digest);
    if (key === lastKey && !refreshDue) return;
    await peer.publish(digest);
    lastKey = key;
    lastPublishedAt = Date.now();
  }

  async function forward(): Promise<void> {
    while (inbox.size > 0) {
      const batch = [...inbox.values()].slice(0, 100);
      for (const d of batch) inbox.delete(d.siteId);
      const res = await post("/federation/digests", { digests: batch });
      if (!res.ok) {
        // Put them back unless something newer came meanwhile; the next tick tries again.
        for (const d of batch) if (!inbox.has(d.siteId)) inbox.set(d.siteId, d);
        throw new Error(`own Worker refused digests: ${res.status}`);
      }
    }
  }

  async function reportStats(): Promise<void> {
    const res = await post("/federation/peer", { peerId: peer.peerId, connected: peer.connectedPeers().length, ...peer.stats() });
    if (!res.ok) throw new Error(`own Worker refused the peer's report: ${res.status}`);
  }

  const loops = [
    every(membershipPollMs, refreshMembership, "membership", log),
    // What the peer refused (non-members, forgeries, replays) is visible at the Worker's /v1/mesh.
    every(STATS_EVERY_MS, reportStats, "stats", log),
    // A safety net: digests normally go on as they arrive (onDigest).
    every(pollMs, () => forwarding ?? forward(), "forward", log),
    ...(options.publishes ? [every(pollMs, publishOwn, "publish", log)] : []),
  ];

  return {
    peer,
    membership: () => membership,
    async stop() {
      for (const loop of loops) loop.stop();
      await Promise.all(loops.map((l) => l.idle()));
      await peer.stop();
    },
  };
}

/** What a digest says, less what changes every instant (an available agent's "available now"). */
function contentKey(d: Digest): string {
  const nowish = (t: number | null) => (t !== null && t <= d.issuedAtMs ? 0 : t);
  return JSON.stringify({
    agents: d.agents.map((a) => ({ ...a, expectedAvailableAtMs: nowish(a.expectedAvailableAtMs) })),
    skills: Object.fromEntries(Object.entries(d.skills).map(([k, s]) => [k, { ...s, earliestAvailableAtMs: nowish(s.earliestAvailableAtMs) }])),
  });
}

/** Runs `task` now and then every `ms`, one run at a time; failures are logged once per streak. */
function every(ms: number, task: () => Promise<void>, name: string, log: (m: string) => void) {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let failing = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    running = task()
      .then(() => {
        if (failing) log(`${name}: recovered`);
        failing = false;
      })
      .catch((error: unknown) => {
        if (!failing) log(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        failing = true;
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, ms);
      });
  };
  tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    idle: () => running,
  };
}
