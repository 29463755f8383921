/**
 * The federation peer: one libp2p node per mesh member (each site, and the edge),
 * gossiping availability digests with the other members and believing only what
 * members say about themselves. The Worker bridge feeds `publish` and receives
 * `onDigest`; the launcher starts one per member.
 */
import { TopicValidatorResult, type Message } from "@libp2p/gossipsub";
import type { PeerId } from "@libp2p/interface";
import type { Digest } from "../../wire/digest.ts";
import { parseDigest } from "../../wire/digest.ts";
import { loadOrCreateKey } from "./keys.ts";
import { AVAILABILITY_TOPIC, createMeshNode } from "./node.ts";
import { startRedialer } from "./redial.ts";
import { createDigestGate, type Verdict } from "./validator.ts";

export { AVAILABILITY_TOPIC } from "./node.ts";
export { loadOrCreateKey, peerIdOf } from "./keys.ts";

export interface PeerOptions {
  /** Ed25519 private key file: created once (mode 0600) if missing, reused after; the peer id is the member's identity. */
  keyFile: string;
  /** Multiaddrs to listen on, e.g. ["/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/tcp/0/ws"] (TCP and WebSockets). */
  listen: string[];
  /** Multiaddrs (with /p2p/<peerId>) of other members to dial at start and to keep re-dialling while disconnected. */
  bootstrap: string[];
  /** The member's siteId for a peer id on the current (signed) membership list, or null: trust nothing else. May change over time. */
  memberSite(peerId: string): string | null;
  /** A digest that passed validation, from a member. */
  onDigest(digest: Digest, from: { peerId: string; siteId: string }): void | Promise<void>;
  /** Optional: for tests and logs. */
  log?: (message: string) => void;
  /** How often absent members are re-dialled (default 1500 ms). */
  redialIntervalMs?: number;
}

export interface PeerStats {
  published: number;
  accepted: number;
  /**
   * Digests turned away by reason (non_member, unsigned, oversized, not_json, malformed,
   * forged, replayed, stale), plus `connection_denied`: inbound connections from non-members.
   */
  rejected: Record<string, number>;
}

export interface Peer {
  readonly peerId: string;
  /** Full multiaddrs with /p2p/<id>. */
  addrs(): string[];
  /** Publishes this member's digest on the topic. Throws if it is not a valid digest of this member's own site. */
  publish(digest: Digest): Promise<void>;
  connectedPeers(): string[];
  stats(): PeerStats;
  /** Dials a member now and keeps it connected from then on, like a bootstrap address. */
  dial(addr: string): Promise<void>;
  /**
   * Cuts the direct link to one member (hangs up, refuses it both ways) while it stays a
   * member: its digests still arrive relayed by the others. A link an operator distrusts,
   * and the chaos suite's cut in gossip. `mend` lets it connect again.
   */
  sever(peerId: string): void;
  mend(peerId: string): void;
  stop(): Promise<void>;
}

const DIAL_TIMEOUT_MS = 5_000;
const VERDICT_RESULT = {
  accept: TopicValidatorResult.Accept,
  reject: TopicValidatorResult.Reject,
  ignore: TopicValidatorResult.Ignore,
} as const;

export async function startPeer(options: PeerOptions): Promise<Peer> {
  const log = options.log ?? (() => {});
  // The membership callback comes from elsewhere: if it throws, nobody is a member.
  const memberSite = (peerId: string): string | null => {
    try {
      return options.memberSite(peerId);
    } catch (error) {
      log(`memberSite(${peerId}) threw: ${String(error)}`);
      return null;
    }
  };
  const isMember = (peerId: string) => memberSite(peerId) !== null;
  // Members this peer was told not to talk to directly (sever): gossip between them goes round by the others.
  const severed = new Set<string>();
  const reachable = (peerId: string) => isMember(peerId) && !severed.has(peerId);
  const gate = createDigestGate(memberSite);
  let deniedConnections = 0;
  let published = 0;

  const node = await createMeshNode({
    privateKey: await loadOrCreateKey(options.keyFile),
    listen: options.listen,
    connectionGater: {
      // Asked once the remote has proven its peer id (after the Noise handshake), on every
      // new connection, so a member removed from the list cannot come back.
      denyInboundEncryptedConnection: (peer: PeerId) => {
        if (severed.has(peer.toString())) return true;
        if (isMember(peer.toString())) return false;
        deniedConnections++;
        log(`refused a connection from ${peer.toString()}: not a member`);
        return true;
      },
      // Outbound: never dial, nor finish dialling, anyone off the list.
      denyDialPeer: (peer: PeerId) => !reachable(peer.toString()),
      denyOutboundEncryptedConnection: (peer: PeerId) => !reachable(peer.toString()),
    },
  });
  const self = node.peerId.toString();
  const pubsub = node.services.pubsub;

  /** Verdicts of accepted messages, handed from the validator to the message event (same object). */
  const acceptedMessages = new WeakMap<Message, Extract<Verdict, { action: "accept" }>>();
  pubsub.topicValidators.set(AVAILABILITY_TOPIC, (_relay, msg) => {
    // The author is the signer (msg.from), not the relay that handed it to us.
    const verdict = gate.check(msg.type === "signed" ? msg.from.toString() : null, msg.data);
    if (verdict.action === "accept") acceptedMessages.set(msg, verdict);
    else log(`${verdict.action === "reject" ? "rejected" : "ignored"} a digest from ${msg.type === "signed" ? msg.from.toString() : "?"}: ${verdict.reason}`);
    return VERDICT_RESULT[verdict.action];
  });

  // Delivery runs after validation, one digest at a time and in arrival order: the
  // validator must answer fast (gossipsub scores slow validation), and the bridge
  // behind onDigest may be slow or fail without stalling the gossip.
  let delivering: Promise<void> = Promise.resolve();
  const onMessage = (event: CustomEvent<Message>) => {
    const verdict = acceptedMessages.get(event.detail);
    if (!verdict || event.detail.type !== "signed") return;
    const from = { peerId: event.detail.from.toString(), siteId: verdict.siteId };
    delivering = delivering.then(async () => {
      try {
        await options.onDigest(verdict.digest, from);
      } catch (error) {
        log(`onDigest failed for ${from.siteId} seq ${verdict.digest.seq}: ${String(error)}`);
      }
    });
  };
  pubsub.addEventListener("message", onMessage);
  pubsub.subscribe(AVAILABILITY_TOPIC);

  const redialer = startRedialer({
    node,
    isMember: reachable,
    intervalMs: options.redialIntervalMs ?? 1_500,
    dialTimeoutMs: DIAL_TIMEOUT_MS,
    log,
  });
  try {
    for (const addr of options.bootstrap) redialer.keep(addr);
  } catch (error) {
    // A bad bootstrap address: fail the start without leaving a listening node behind.
    await redialer.stop();
    await node.stop();
    throw error;
  }
  redialer.tick();
  log(`peer ${self} listening on ${node.getMultiaddrs().join(" ")}`);

  let stopped = false;
  return {
    peerId: self,
    addrs: () => node.getMultiaddrs().map(String),
    async publish(digest) {
      const bytes = new TextEncoder().encode(JSON.stringify(digest));
      // Checked as a receiver would, so a bad digest fails here, loudly, and not
      // silently at every other member.
      const check = parseDigest(bytes);
      if (!check.ok) throw new Error(`not a valid digest: ${check.reason}`);
      const site = memberSite(self);
      if (site !== check.digest.siteId) {
        throw new Error(`digest of ${check.digest.siteId} not publishable: this member is ${site ?? "not on the membership list"}`);
      }
      await pubsub.publish(AVAILABILITY_TOPIC, bytes);
      published++;
    },
    connectedPeers: () => node.getPeers().map(String),
    stats() {
      const { accepted, rejected } = gate.counts();
      return {
        published,
        accepted,
        rejected: deniedConnections > 0 ? { ...rejected, connection_denied: deniedConnections } : rejected,
      };
    },
    async dial(addr) {
      const peerId = redialer.keep(addr);
      if (peerId !== self) await redialer.dialNow(peerId);
    },
    sever(peerId) {
      severed.add(peerId);
      // The redialer hangs up on it at once, and nobody dials it again until mended.
      redialer.tick();
    },
    mend(peerId) {
      severed.delete(peerId);
      redialer.tick();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await redialer.stop();
      pubsub.removeEventListener("message", onMessage);
      await node.stop();
      await delivering;
    },
  };
}
