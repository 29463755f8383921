/**
 * Server-sent events of callbacks: the history so far, then each new event as it is
 * recorded. Every event carries its id (its row's sequence number), so a listener that
 * reconnects with `Last-Event-ID` gets only what it missed; a comment every 15 s keeps
 * quiet streams open through proxies. The open streams are connection state of this
 * object, not data: storage holds the history.
 */
import type { EventView } from "./views.ts";

/** How often a quiet stream gets a comment, so that nothing between closes it for silence. */
export const KEEP_ALIVE_MS = 15_000;

const encoder = new TextEncoder();
const frame = (id: number, e: EventView) => encoder.encode(`id: ${id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
const KEEP_ALIVE = encoder.encode(": keep-alive\n\n");

export class EventStreams {
  private readonly listeners = new Map<string, Set<WritableStreamDefaultWriter<Uint8Array>>>();
  private keepAlive: ReturnType<typeof setInterval> | null = null;

  /** A stream of `history` (each event with its id), then of what `publish` sends; closed at once when the callback is final. */
  open(callbackId: string, history: readonly { id: number; event: EventView }[], final: boolean): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    // Told how long to wait before reconnecting, then what happened so far.
    void writer.write(encoder.encode("retry: 3000\n\n")).catch(() => {});
    for (const h of history) void writer.write(frame(h.id, h.event)).catch(() => {});
    if (final) {
      void writer.close().catch(() => {});
    } else {
      const set = this.listeners.get(callbackId) ?? new Set();
      set.add(writer);
      this.listeners.set(callbackId, set);
      void writer.closed
        .finally(() => {
          set.delete(writer);
          if (set.size === 0) this.listeners.delete(callbackId);
          this.pace();
        })
        .catch(() => {});
      this.pace();
    }
    return new Response(readable, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" },
    });
  }

  /** Sends an event to whoever listens to this callback; it is made only when someone does. */
  publish(callbackId: string, id: number, make: () => EventView): void {
    const writers = this.listeners.get(callbackId);
    if (!writers || writers.size === 0) return;
    const bytes = frame(id, make());
    for (const w of writers) void w.write(bytes).catch(() => writers.delete(w));
  }

  close(callbackId: string): void {
    for (const w of this.listeners.get(callbackId) ?? []) void w.close().catch(() => {});
    this.listeners.delete(callbackId);
    this.pace();
  }

  /** Sends every open stream a comment now; the timer calls it every KEEP_ALIVE_MS while any is open. */
  ping(): void {
    for (const [id, writers] of this.listeners) {
      for (const w of writers) void w.write(KEEP_ALIVE).catch(() => writers.delete(w));
      if (writers.size === 0) this.listeners.delete(id);
    }
  }

  /** One timer for all of this object's streams, running only while one is open. */
  private pace(): void {
    const any = this.listeners.size > 0;
    if (any && !this.keepAlive) this.keepAlive = setInterval(() => this.ping(), KEEP_ALIVE_MS);
    if (!any && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
  }
}
