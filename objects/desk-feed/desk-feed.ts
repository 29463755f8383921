/**
 * An agent's desk feed, as a Durable Object: one per agent (site and ref). The agent's
 * open desks hold WebSockets here; callback shards send it what changed, and it passes
 * that on. The sockets hibernate: an agent at an idle desk costs no running object, and
 * pings are answered without waking it. Nothing is stored: a desk that connects reads
 * its callbacks itself, and each notice only tells it which one to read again.
 */
import { DurableObject } from "cloudflare:workers";
import { systemClock, type Clock } from "../shared/clock.ts";
import { DESK_PROTOCOL, type DeskChange } from "./changes.ts";

interface SocketAttachment {
  /** When the token the desk connected with expires (epoch ms): the socket is closed from then on. */
  expiresAtMs: number;
}

/** Past this many open desks for one agent, the oldest is closed: a token cannot pile up sockets. */
const MAX_SOCKETS = 8;

/** The header the edge names the desk's token expiry in (epoch ms) when it hands the upgrade over. */
export const DESK_EXPIRES_HEADER = "x-desk-token-expires";

export class DeskFeed extends DurableObject<object> {
  clock: Clock = systemClock;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    // Answered by the runtime while the object sleeps: a desk's keep-alive wakes nothing.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /** A desk connects: the edge has checked its token and the upgrade, and names the token's expiry. */
  async fetch(request: Request): Promise<Response> {
    const expiresAtMs = Number(request.headers.get(DESK_EXPIRES_HEADER));
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !Number.isFinite(expiresAtMs)) {
      return new Response("a desk connects by WebSocket, through the edge", { status: 400 });
    }
    const open = this.ctx.getWebSockets();
    for (const old of open.slice(0, Math.max(0, open.length - MAX_SOCKETS + 1))) old.close(4000, "another desk opened");
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ expiresAtMs } satisfies SocketAttachment);
    server.send(JSON.stringify({ type: "hello" }));
    return new Response(null, { status: 101, webSocket: client, headers: { "sec-websocket-protocol": DESK_PROTOCOL } });
  }

  /** Callback shards report changes to this agent's callbacks; every open desk hears of them. Answers how many listen. */
  async notify(changes: DeskChange[]): Promise<number> {
    const now = this.clock.now();
    const message = JSON.stringify({ type: "changed", changes });
    let listening = 0;
    for (const ws of this.ctx.getWebSockets()) {
      const { expiresAtMs } = (ws.deserializeAttachment() ?? { expiresAtMs: 0 }) as SocketAttachment;
      if (expiresAtMs <= now) {
        ws.close(4001, "the token expired: sign in again");
        continue;
      }
      try {
        ws.send(message);
        listening++;
      } catch {
        // Closing under us: its close handler tidies up.
      }
    }
    return listening;
  }

  async webSocketMessage(ws: WebSocket): Promise<void> {
    // Desks send nothing but pings (answered by the runtime); anything else is not for us.
    ws.close(4002, "this socket only listens");
  }

  async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // 1005/1006 carry no code to echo; any other is answered with itself.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "closed");
    } catch {
      // Already closed.
    }
  }
}
