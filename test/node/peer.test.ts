/**
 * The federation peer with real libp2p nodes on 127.0.0.1: members converge,
 * non-members, forgers, replays and garbage are turned away and counted, a
 * restarted member comes back with its identity, a removed one is cut off.
 *
 * Three members (paris, austin, manila) run for the whole file; each test only
 * adds what it needs and never depends on another test's outcome, only on the
 * mesh being up. Gossip is asynchronous: every wait polls a condition with a
 * generous deadline (a loaded 2-core box) and returns as soon as it holds.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import type { JWK } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { digestSchema, MAX_DIGEST_BYTES, type Digest } from "../../federation/wire/digest.ts";
import { createMeshNode, type MeshNode } from "../../federation/node/peer/node.ts";
import { AVAILABILITY_TOPIC, loadOrCreateKey, peerIdOf, startPeer, type Peer } from "../../federation/node/peer/peer.ts";
import { createDigestGate } from "../../federation/node/peer/validator.ts";
import { signMembership, siteOfPeer, verifyMembership, type Membership } from "../../federation/wire/membership.ts";

const LISTEN = ["/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/tcp/0/ws"];
const DEADLINE_MS = 15_000;
/** How often a publisher tries again while nobody has heard it yet (subscriptions not exchanged). */
const REPUBLISH_MS = 300;

interface Received {
  digest: Digest;
  from: { peerId: string; siteId: string };
}

interface Member {
  name: string;
  site: string;
  keyFile: string;
  peerId: string;
  /** The membership list as this member knows it: signed by the edge and verified, as its bridge hands it over. */
  view: SignedView;
  inbox: Received[];
  peer: Peer;
}

let dir: string;
/** Each site's next seq: digests of one site only ever go up. */
const seqs = new Map<string, number>();
const nextSeq = (siteId: string) => seqs.get(siteId) ?? 1;
/** paris, austin, manila: the members the whole file runs with. */
let A: Member, B: Member, C: Member;
const cleanups: Array<() => Promise<void>> = [];

/** The edge's key in these tests: it signs each member's list, as the real edge does. */
const EDGE_KEY = (() => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { private: privateKey.export({ format: "jwk" }) as JWK, public: publicKey.export({ format: "jwk" }) as JWK };
})();

/**
 * A member's membership list as its bridge gives it to its peer: each change makes a new
 * list (a higher seq) that the edge's key signs, and what the peer reads is that list as
 * verified (verifyMembership) and looked up (siteOfPeer), never a plain map.
 */
class SignedView {
  private readonly entries = new Map<string, string>();
  private seq = 0;
  private list: Membership | null = null;

  async set(peerId: string, siteId: string): Promise<void> {
    this.entries.set(peerId, siteId);
    await this.sign();
  }

  async delete(peerId: string): Promise<void> {
    this.entries.delete(peerId);
    await this.sign();
  }

  siteOf(peerId: string): string | null {
    return siteOfPeer(this.list, peerId);
  }

  private async sign(): Promise<void> {
    const members = [...this.entries].map(([peerId, siteId]) => ({ siteId, peerId, trust: "enterprise" as const, exposure: "federated" as const, addrs: [], keys: [] }));
    const jws = await signMembership({ version: 1, seq: ++this.seq, issuedAtMs: Date.now(), members }, EDGE_KEY.private);
    const verified = await verifyMembership(jws, EDGE_KEY.public);
    if (!verified) throw new Error("a list the test's edge signed did not verify");
    this.list = verified;
  }
}

function digest(siteId: string, seq?: number): Digest {
  if (seq === undefined) {
    seq = nextSeq(siteId);
    seqs.set(siteId, seq + 1);
  }
  return digestSchema.parse({
    version: 1,
    siteId,
    seq,
    issuedAtMs: Date.now(),
    ttlMs: 15_000,
    agents: [
      {
        ref: "r_0123456789abcdef0123",
        skills: { repair: 4, billing: 2 },
        channels: ["voice", "chat"],
        languages: ["en"],
        state: "available",
        expectedAvailableAtMs: null,
        capacity: 2,
        freeCapacity: 1,
      },
    ],
    skills: {
      repair: { agents: 1, available: 1, freeCapacity: 1, maxLevel: 4, earliestAvailableAtMs: null },
      billing: { agents: 1, available: 1, freeCapacity: 1, maxLevel: 2, earliestAvailableAtMs: null },
    },
  });
}

/** Polls `condition` until it holds; `retry` (if any) runs at once and then every REPUBLISH_MS. */
async function until(what: string, condition: () => boolean, retry?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  let nextRetry = 0;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${DEADLINE_MS} ms waiting for ${what}`);
    if (retry && Date.now() >= nextRetry) {
      nextRetry = Date.now() + REPUBLISH_MS;
      await retry();
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const has = (m: Member, siteId: string, minSeq = 0) => m.inbox.some((r) => r.digest.siteId === siteId && r.digest.seq >= minSeq);
const rejected = (m: Member, reason: string) => m.peer.stats().rejected[reason] ?? 0;
const tcpAddr = (m: Member) => m.peer.addrs().find((a) => !a.includes("/ws"))!;
const wsAddr = (m: Member) => m.peer.addrs().find((a) => a.includes("/ws/"))!;

/** A new key and the member record for it; not started, on nobody's list yet. */
async function newMember(name: string, site: string): Promise<Omit<Member, "peer">> {
  const keyFile = path.join(dir, `${name}.key`);
  return { name, site, keyFile, peerId: await peerIdOf(keyFile), view: new SignedView(), inbox: [] };
}

async function start(m: Omit<Member, "peer">, bootstrap: string[], listen = LISTEN): Promise<Member> {
  const peer = await startPeer({
    keyFile: m.keyFile,
    listen,
    bootstrap,
    memberSite: (peerId) => m.view.siteOf(peerId),
    onDigest: (digest, from) => {
      m.inbox.push({ digest, from });
    },
    log: process.env.PEER_TEST_LOG ? (message) => console.log(`[${m.name}] ${message}`) : undefined,
  });
  return Object.assign(m, { peer });
}

/**
 * Publishes fresh digests of `from` until every one of `to` has heard one (a digest
 * published before the others know our subscription reaches nobody, as in gossipsub
 * generally), then until they all have the last one too; returns that last seq.
 */
async function publishUntilHeard(from: Member, to: Member[]): Promise<number> {
  const first = nextSeq(from.site);
  const names = to.map((m) => m.name).join(", ");
  await until(`${names} to hear ${from.site} ≥ ${first}`, () => to.every((m) => has(m, from.site, first)), () =>
    from.peer.publish(digest(from.site)),
  );
  const last = nextSeq(from.site) - 1;
  await until(`${names} to hear ${from.site} ${last}`, () => to.every((m) => has(m, from.site, last)));
  return last;
}

/** A member's node without the peer's checks: it publishes whatever bytes it is given. */
async function rawMember(site: string): Promise<{ peerId: string; node: MeshNode; publish(bytes: Uint8Array): Promise<void> }> {
  const node = await createMeshNode({ privateKey: await generateKeyPair("Ed25519"), listen: ["/ip4/127.0.0.1/tcp/0"] });
  cleanups.push(async () => {
    await node.stop();
  });
  const peerId = node.peerId.toString();
  for (const m of [A, B, C]) await m.view.set(peerId, site);
  cleanups.push(async () => {
    for (const m of [A, B, C]) await m.view.delete(peerId);
  });
  // Rejected digests are not relayed, so it talks to every member directly.
  for (const m of [A, B, C]) await node.dial(multiaddr(tcpAddr(m)));
  return {
    peerId,
    node,
    publish: async (bytes) => {
      await node.services.pubsub.publish(AVAILABILITY_TOPIC, bytes);
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "peer-test-"));
  const records = [await newMember("A", "paris"), await newMember("B", "austin"), await newMember("C", "manila")];
  for (const r of records) for (const s of records) await r.view.set(s.peerId, s.site);
  A = await start(records[0], []);
  B = await start(records[1], [tcpAddr(A)]);
  // manila knows the others only by their WebSocket addresses, and nobody dials it:
  // its links to paris and austin can only be WebSocket connections it opened.
  C = await start(records[2], [wsAddr(A), wsAddr(B)]);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await Promise.all([A, B, C].map((m) => m?.peer.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("digest gate (no network)", () => {
  const bytes = (d: unknown) => new TextEncoder().encode(JSON.stringify(d));

  it("judges the author first, then the bytes, then the site, then the seq", () => {
    const list = new Map([["peerParis", "paris"], ["peerAustin", "austin"]]);
    const gate = createDigestGate((peerId) => list.get(peerId) ?? null);
    const huge = new Uint8Array(MAX_DIGEST_BYTES + 1);
    expect(gate.check("stranger", huge)).toEqual({ action: "reject", reason: "non_member" });
    expect(gate.check(null, bytes(digest("paris", 1)))).toEqual({ action: "reject", reason: "unsigned" });
    expect(gate.check("peerParis", huge)).toEqual({ action: "reject", reason: "oversized" });
    expect(gate.check("peerParis", bytes(digest("austin", 1)))).toEqual({ action: "reject", reason: "forged" });
    expect(gate.check("peerParis", bytes(digest("paris", 5)))).toMatchObject({ action: "accept", siteId: "paris" });
    expect(gate.check("peerParis", bytes(digest("paris", 5)))).toEqual({ action: "ignore", reason: "replayed" });
    expect(gate.check("peerParis", bytes(digest("paris", 4)))).toEqual({ action: "ignore", reason: "stale" });
    // A site's new key (a rotated peer id) continues the site's seq: no rollback through it.
    list.set("peerParis2", "paris");
    expect(gate.check("peerParis2", bytes(digest("paris", 3)))).toEqual({ action: "ignore", reason: "stale" });
    expect(gate.check("peerParis2", bytes(digest("paris", 6)))).toMatchObject({ action: "accept" });
    list.delete("peerParis");
    expect(gate.check("peerParis", bytes(digest("paris", 7)))).toEqual({ action: "reject", reason: "non_member" });
    expect(gate.counts()).toEqual({
      accepted: 2,
      rejected: { non_member: 2, unsigned: 1, oversized: 1, forged: 1, replayed: 1, stale: 2 },
    });
  });
});

describe("federation peer", () => {
  it("three members converge: each one's digest reaches the other two, once, with its author", async () => {
    await Promise.all([
      publishUntilHeard(A, [B, C]),
      publishUntilHeard(B, [A, C]),
      publishUntilHeard(C, [A, B]),
    ]);
    for (const m of [A, B, C]) {
      expect(new Set(m.peer.connectedPeers())).toEqual(new Set([A, B, C].filter((o) => o !== m).map((o) => o.peerId)));
      const keys = m.inbox.map((r) => `${r.digest.siteId}/${r.digest.seq}`);
      expect(keys.length, `${m.name} got a digest twice`).toBe(new Set(keys).size);
      for (const { digest: d, from } of m.inbox) {
        const author = [A, B, C].find((o) => o.site === d.siteId)!;
        expect(from).toEqual({ peerId: author.peerId, siteId: author.site });
      }
      await until(`${m.name} to deliver all it accepted`, () => m.peer.stats().accepted === m.inbox.length);
      expect(m.peer.stats().rejected).toEqual({});
      expect(m.peer.stats().published).toBeGreaterThan(0);
    }
  });

  it("a link severed between two members: their digests go round by the third, and the link comes back once mended", async () => {
    A.peer.sever(B.peerId);
    B.peer.sever(A.peerId);
    try {
      await until("paris and austin to hang up on each other", () => !A.peer.connectedPeers().includes(B.peerId) && !B.peer.connectedPeers().includes(A.peerId));
      // Each still hears the other, relayed by manila; the author is still the one who signed it.
      await publishUntilHeard(A, [B]);
      await publishUntilHeard(B, [A]);
      expect(B.inbox.at(-1)?.from.peerId).toBe(A.peerId);
      expect(A.peer.connectedPeers()).not.toContain(B.peerId);
    } finally {
      A.peer.mend(B.peerId);
      B.peer.mend(A.peerId);
    }
    await until("paris and austin to reconnect", () => A.peer.connectedPeers().includes(B.peerId));
  });

  it("a non-member cannot connect, and its digests, even relayed by a member that still lists it, are rejected", async () => {
    // lyon believes it is a member; only paris's (outdated) list agrees.
    const lyon = await newMember("lyon", "lyon");
    for (const m of [A, B, C, lyon]) await lyon.view.set(m.peerId, m.site);
    await A.view.set(lyon.peerId, "lyon");
    cleanups.push(async () => {
      await A.view.delete(lyon.peerId);
    });
    const N = await start(lyon, [tcpAddr(A)]);
    cleanups.push(() => N.peer.stop());
    const denied = rejected(B, "connection_denied");

    // austin refuses the connection once lyon has proven who it is (the gater). On lyon's
    // side the dial may even resolve before austin's refusal lands: austin decides.
    await N.peer.dial(tcpAddr(B)).catch(() => {});
    await until(
      "austin to refuse lyon's connection",
      () => rejected(B, "connection_denied") > denied && !N.peer.connectedPeers().includes(B.peerId),
    );
    expect(B.peer.connectedPeers()).not.toContain(N.peerId);

    // Paris accepts and relays lyon's digests; austin and manila judge the author, not the relay.
    const before = { B: rejected(B, "non_member"), C: rejected(C, "non_member") };
    await until(
      "austin and manila to reject lyon's digest",
      () => has(A, "lyon") && rejected(B, "non_member") > before.B && rejected(C, "non_member") > before.C,
      () => N.peer.publish(digest("lyon")),
    );
    expect(A.inbox.find((r) => r.digest.siteId === "lyon")?.from.peerId).toBe(N.peerId);
    for (const m of [B, C]) expect(m.inbox.filter((r) => r.from.peerId === N.peerId || r.digest.siteId === "lyon")).toEqual([]);
  });

  it("a member speaking for another site is rejected as forged", async () => {
    const oslo = await rawMember("oslo");
    const before = [A, B, C].map((m) => ({ m, forged: rejected(m, "forged"), inbox: m.inbox.length }));
    // A valid digest, newer than anything paris has said, but signed by oslo.
    const forged = new TextEncoder().encode(JSON.stringify(digest("paris", nextSeq("paris") + 1_000)));
    await until(
      "every member to reject oslo's paris digest",
      () => before.every(({ m, forged: n }) => rejected(m, "forged") > n),
      () => oslo.publish(forged),
    );
    for (const { m, inbox } of before) expect(m.inbox.slice(inbox)).toEqual([]);
    // The peer itself refuses to speak for another site, or to send what nobody would accept.
    await expect(A.peer.publish(digest("austin", 1))).rejects.toThrow(/this member is paris/);
    await expect(A.peer.publish({ ...digest("paris", 1), ttlMs: 5 })).rejects.toThrow(/malformed/);
  });

  it("a replayed or older digest is counted and not delivered again", async () => {
    const latest = await publishUntilHeard(A, [B, C]);
    const before = [B, C].map((m) => ({ m, replayed: rejected(m, "replayed"), stale: rejected(m, "stale"), inbox: m.inbox.length }));

    await A.peer.publish(digest("paris", latest)); // the same seq again
    await A.peer.publish(digest("paris", latest - 1)); // an older one
    await until("austin and manila to count the replay and the stale digest", () =>
      before.every(({ m, replayed, stale }) => rejected(m, "replayed") > replayed && rejected(m, "stale") > stale),
    );
    for (const { m, inbox } of before) expect(m.inbox.slice(inbox)).toEqual([]);

    // …and the next real one still gets through.
    await publishUntilHeard(A, [B, C]);
  });

  it("malformed, non-JSON and oversized digests are rejected", async () => {
    const bergen = await rawMember("bergen");
    const payloads = {
      not_json: new TextEncoder().encode("{ this is not json"),
      malformed: new TextEncoder().encode(JSON.stringify({ ...digest("bergen"), agents: [{ ref: "alice@example.com" }] })),
      oversized: new TextEncoder().encode(JSON.stringify({ ...digest("bergen"), pad: "x".repeat(MAX_DIGEST_BYTES + 1024) })),
    };
    const reasons = Object.keys(payloads) as Array<keyof typeof payloads>;
    const before = [B, C].map((m) => ({ m, counts: reasons.map((r) => rejected(m, r)), inbox: m.inbox.length }));
    await until(
      "austin and manila to reject each bad payload",
      () => before.every(({ m, counts }) => reasons.every((r, i) => rejected(m, r) > counts[i])),
      async () => {
        for (const bytes of Object.values(payloads)) await bergen.publish(bytes);
      },
    );
    for (const { m, inbox } of before) expect(m.inbox.slice(inbox)).toEqual([]);
  });

  it("keeps a member's identity in its key file (0600), and refuses a file that is not a key", async () => {
    const keyFile = path.join(dir, "keys", "edge.key");
    const key = await loadOrCreateKey(keyFile);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await loadOrCreateKey(keyFile)).equals(key)).toBe(true);
    expect(await peerIdOf(keyFile)).toBe(await peerIdOf(keyFile));
    expect((await readFile(keyFile)).byteLength).toBeGreaterThan(32);
    await writeFile(path.join(dir, "bad.key"), "nope");
    await expect(loadOrCreateKey(path.join(dir, "bad.key"))).rejects.toThrow(/bad\.key/);
  });

  it("a member restarted with the same key file keeps its peer id and is re-dialled by the others", async () => {
    // paris and austin learn manila's addresses, as from a membership list: dialling an
    // already-connected member reuses the connection.
    await A.peer.dial(tcpAddr(C));
    await B.peer.dial(wsAddr(C));
    for (const m of [A, B]) expect(m.peer.connectedPeers().filter((p) => p === C.peerId)).toHaveLength(1);

    // Same ports again, and no bootstrap: only the others' re-dialling can bring it back.
    const listen = C.peer.addrs().map((a) => a.replace(`/p2p/${C.peerId}`, ""));
    const oldId = C.peer.peerId;
    await C.peer.stop();
    await until("paris and austin to see manila gone", () => [A, B].every((m) => !m.peer.connectedPeers().includes(C.peerId)));

    C = await start({ ...C, inbox: C.inbox }, [], listen);
    expect(C.peer.peerId).toBe(oldId);
    await until("paris and austin to re-dial manila", () => [A, B].every((m) => m.peer.connectedPeers().includes(C.peerId)));
    await publishUntilHeard(C, [A, B]);
    for (const m of [A, B]) expect(m.peer.connectedPeers().filter((p) => p === C.peerId)).toHaveLength(1);
  });

  it("once a member is off the list, its further digests are rejected and it is hung up on", async () => {
    await publishUntilHeard(C, [A, B]);
    // austin's list drops manila; paris's has not caught up yet, and still relays.
    await B.view.delete(C.peerId);
    const nonMember = rejected(B, "non_member");
    const first = nextSeq("manila");
    await until(
      "austin to reject manila's newer digest while paris still takes it",
      () => rejected(B, "non_member") > nonMember && has(A, "manila", first),
      () => C.peer.publish(digest("manila")),
    );
    expect(has(B, "manila", first)).toBe(false);
    await until("austin to hang up on manila", () => !B.peer.connectedPeers().includes(C.peerId));
  });
});
