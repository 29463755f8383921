/**
 * Keeps a member connected to the members it was told about. libp2p's own
 * reconnect gives up after a few tries; members come and go (restarts, deploys),
 * so this re-dials every absent member on a steady beat for as long as it is one,
 * and hangs up on peers that have left the membership list.
 */
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import type { MeshNode } from "./node.ts";

export interface Redialer {
  /** Remembers `addr` (which must end in /p2p/<peerId>) to keep its peer connected; returns the peer id. */
  keep(addr: string): string;
  /** Dials that peer now, through all its remembered addresses; throws if it cannot. */
  dialNow(peerId: string): Promise<void>;
  /** Runs one round at once (dial who is missing, drop who left). */
  tick(): void;
  stop(): Promise<void>;
}

export interface RedialerInit {
  node: MeshNode;
  isMember(peerId: string): boolean;
  intervalMs: number;
  /** One dial attempt may take this long before the next round tries again. */
  dialTimeoutMs: number;
  log(message: string): void;
}

export function peerIdInAddr(addr: Multiaddr): string | undefined {
  return addr.getComponents().findLast((c) => c.name === "p2p")?.value;
}

export function startRedialer(init: RedialerInit): Redialer {
  const { node, isMember, log } = init;
  const self = node.peerId.toString();
  const targets = new Map<string, Multiaddr[]>();
  /** At most one dial per peer at a time, so rounds never pile up duplicate connections. */
  const dialing = new Map<string, Promise<void>>();
  const hangingUp = new Map<string, Promise<void>>();
  const failing = new Set<string>();
  const stopping = new AbortController();

  function dial(peerId: string): Promise<void> {
    const running = dialing.get(peerId);
    if (running) return running;
    const addrs = targets.get(peerId) ?? [];
    const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(init.dialTimeoutMs)]);
    const attempt = node
      .dial(addrs, { signal })
      .then(() => {
        if (failing.delete(peerId)) log(`reconnected to ${peerId}`);
      })
      .finally(() => dialing.delete(peerId));
    dialing.set(peerId, attempt);
    return attempt;
  }

  function round(): void {
    if (stopping.signal.aborted) return;
    const connected = new Set(node.getPeers().map(String));
    for (const peer of node.getPeers()) {
      const peerId = peer.toString();
      if (isMember(peerId) || hangingUp.has(peerId)) continue;
      log(`hanging up on ${peerId}: not a member any more, or cut off`);
      hangingUp.set(
        peerId,
        node
          .hangUp(peer)
          .catch((error: unknown) => log(`hang-up on ${peerId} failed: ${String(error)}`))
          .finally(() => hangingUp.delete(peerId)),
      );
    }
    for (const peerId of targets.keys()) {
      if (connected.has(peerId) || dialing.has(peerId) || !isMember(peerId)) continue;
      // Background dial: its promise is kept in `dialing` and awaited by stop().
      dial(peerId).catch((error: unknown) => {
        if (stopping.signal.aborted || failing.has(peerId)) return;
        failing.add(peerId);
        log(`cannot reach ${peerId} (will keep trying): ${error instanceof Error ? error.message : String(error)}`);
      });
    }
  }

  const timer = setInterval(round, init.intervalMs);
  // A mesh member with nothing else to do should still be able to exit.
  timer.unref();

  return {
    keep(addr) {
      const ma = multiaddr(addr);
      const peerId = peerIdInAddr(ma);
      if (!peerId) throw new Error(`${addr}: a member's address must end in /p2p/<peerId>`);
      if (peerId === self) return peerId;
      const known = targets.get(peerId) ?? [];
      if (!known.some((k) => k.equals(ma))) targets.set(peerId, [...known, ma]);
      return peerId;
    },
    dialNow: dial,
    tick: round,
    async stop() {
      clearInterval(timer);
      stopping.abort();
      await Promise.allSettled([...dialing.values(), ...hangingUp.values()]);
    },
  };
}
