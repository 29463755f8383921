/**
 * The libp2p node of one mesh member, composed in one place as the js-libp2p
 * examples do. Discovery is deliberately absent (no mDNS, DHT, relay, peer
 * exchange or public bootstrap list): members find each other only through the
 * membership list, and the peer dials those addresses itself.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { gossipsub, StrictSign, type GossipSub } from "@libp2p/gossipsub";
import { identify, type Identify } from "@libp2p/identify";
import type { ConnectionGater, Libp2p, PrivateKey } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { webSockets } from "@libp2p/websockets";
import { createLibp2p } from "libp2p";

export const AVAILABILITY_TOPIC = "/callback-mesh/availability/1";

export type MeshNode = Libp2p<{ identify: Identify; pubsub: GossipSub }>;

export interface MeshNodeInit {
  privateKey: PrivateKey;
  listen: string[];
  connectionGater?: ConnectionGater;
  /** Gossipsub heartbeat; the mesh is repaired and lazy gossip sent once per beat. */
  heartbeatIntervalMs?: number;
}

/** Creates and starts the node. It knows no topic yet: the caller subscribes and validates. */
export async function createMeshNode(init: MeshNodeInit): Promise<MeshNode> {
  return createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen },
    // @libp2p/websockets 10 dials and listens on plain ws:// in Node without any filter
    // option (only browsers restrict it), which is what loopback members use.
    transports: [tcp(), webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: init.connectionGater,
    connectionManager: {
      // libp2p refuses a host's 6th new connection within a second; every member of a
      // local mesh is the same host (127.0.0.1), and after a restart all of them re-dial
      // at once. The gater, not the address, decides who gets in.
      inboundConnectionThreshold: 100,
    },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        // Every message carries its author's peer id and signature, so a relay cannot
        // speak for someone else and the validator can check the author's membership.
        globalSignaturePolicy: StrictSign,
        // A lone member (the first to start, or one cut off) still publishes without error.
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        // Our own digests go straight to every subscribed member, not only to mesh
        // peers: a small mesh converges as soon as subscriptions are exchanged,
        // without waiting for heartbeats to graft the mesh.
        floodPublish: true,
        // One protocol, gossipsub; no peer exchange: the membership list is the only discovery.
        fallbackToFloodsub: false,
        doPX: false,
        // Gossipsub 17 grafts a newly subscribed peer at once while the mesh is below
        // Dlo (4), so a small mesh forms as soon as subscriptions are exchanged. The
        // heartbeat repairs the mesh and sends lazy gossip (IHAVE) that recovers a
        // missed digest; half the default keeps that recovery under a second.
        heartbeatInterval: init.heartbeatIntervalMs ?? 500,
        // Members often share one host; the IP-colocation penalty would push a mesh of
        // more than 10 local members below the publish threshold. Sybils are kept out
        // by membership, not by counting addresses.
        scoreParams: { IPColocationFactorWeight: 0 },
        // Ignore subscriptions to anything else, so a peer cannot grow our topic tables.
        allowedTopics: [AVAILABILITY_TOPIC],
        // Author and sequence number name a message: a copy seen before is dropped before its
        // signature is checked again (the cache is filled only by copies that passed the check).
        fastMsgIdFn: (msg) => `${Buffer.from(msg.from ?? []).toString("base64")}:${Buffer.from(msg.seqno ?? []).toString("base64")}`,
      }),
    },
  });
}
