/**
 * Bytes on the wire of this process's TCP connections, counted at the socket:
 * every TCP socket Node creates (client or accepted) is announced on a
 * diagnostics channel, and each keeps bytesRead / bytesWritten even after it
 * closes. What is counted is TCP payload (for libp2p: Noise frames around yamux
 * frames around the protocols), not IP/TCP headers.
 */
import diagnosticsChannel from "node:diagnostics_channel";
import type { Socket } from "node:net";

interface Tracked {
  socket: Socket;
  /** Set once connected: ports are gone from the socket after it closes. */
  localPort?: number;
  remotePort?: number;
}

export interface WireTotals {
  /** Sum of bytes written by every matching socket of this process. */
  written: number;
  /** Sum of bytes read by every matching socket. */
  read: number;
  /** Matching sockets seen so far, and those still open. */
  sockets: number;
  open: number;
}

export interface WireCounter {
  /** Totals over sockets whose local or remote port is in `ports` (all sockets when null). */
  totals(ports: ReadonlySet<number> | null): WireTotals;
  stop(): void;
}

export function countTcpBytes(): WireCounter {
  const tracked: Tracked[] = [];
  const remember = (socket: Socket) => {
    const t: Tracked = { socket };
    const ports = () => {
      t.localPort = socket.localPort;
      t.remotePort = socket.remotePort;
    };
    if (socket.remotePort !== undefined) ports();
    else socket.once("connect", ports);
    tracked.push(t);
  };
  const onClient = (message: unknown) => remember((message as { socket: Socket }).socket);
  const onServer = (message: unknown) => remember((message as { socket: Socket }).socket);
  diagnosticsChannel.subscribe("net.client.socket", onClient);
  diagnosticsChannel.subscribe("net.server.socket", onServer);
  return {
    totals(ports) {
      const out: WireTotals = { written: 0, read: 0, sockets: 0, open: 0 };
      for (const t of tracked) {
        const match =
          ports === null || (t.localPort !== undefined && ports.has(t.localPort)) || (t.remotePort !== undefined && ports.has(t.remotePort));
        if (!match) continue;
        out.written += t.socket.bytesWritten;
        out.read += t.socket.bytesRead;
        out.sockets += 1;
        if (!t.socket.destroyed) out.open += 1;
      }
      return out;
    },
    stop() {
      diagnosticsChannel.unsubscribe("net.client.socket", onClient);
      diagnosticsChannel.unsubscribe("net.server.socket", onServer);
      tracked.length = 0;
    },
  };
}
