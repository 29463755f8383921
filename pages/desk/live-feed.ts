/**
 * The desk's live feed: a WebSocket to /v1/desk/live, the token passed as a
 * subprotocol (a browser cannot set a header on a WebSocket). It reconnects with
 * backoff, and says when it is connected, so the page can show whether it is live.
 */
export interface DeskChange {
  confirmation: string;
  type: string;
  status: string;
  atMs: number;
}

export interface LiveFeedHandlers {
  onChanges(changes: DeskChange[]): void;
  onConnected(connected: boolean): void;
  /** The edge refused the token (expired, or the agent removed): stop and sign in again. */
  onRefused(): void;
}

const PING_MS = 20_000;

export function openLiveFeed(base: string, token: string, handlers: LiveFeedHandlers): () => void {
  const url = `${base.replace(/^http/, "ws")}/v1/desk/live`;
  let ws: WebSocket | null = null;
  let stopped = false;
  let retryMs = 500;
  let ping: ReturnType<typeof setInterval> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    ws = new WebSocket(url, ["callback-desk.v1", `bearer.${token}`]);
    ws.onopen = () => {
      retryMs = 500;
      handlers.onConnected(true);
      ping = setInterval(() => ws?.send("ping"), PING_MS);
    };
    ws.onmessage = (e: MessageEvent) => {
      if (e.data === "pong") return;
      try {
        const msg = JSON.parse(String(e.data)) as { type: string; changes?: DeskChange[] };
        if (msg.type === "changed" && msg.changes) handlers.onChanges(msg.changes);
        // On (re)connection: anything may have changed while the desk was away.
        if (msg.type === "hello") handlers.onChanges([]);
      } catch {
        // Not ours.
      }
    };
    ws.onclose = (e: CloseEvent) => {
      clearInterval(ping);
      handlers.onConnected(false);
      if (stopped) return;
      if (e.code === 4001) return handlers.onRefused();
      retry = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 15_000);
    };
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(retry);
    clearInterval(ping);
    ws?.close(1000, "desk closed");
  };
}
