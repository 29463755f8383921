/**
 * Server-sent events of callbacks: the history so far, then each new event as it is
 * recorded. The open streams are connection state of this object, not data: a
 * listener that reconnects gets the history again from storage.
 */
import type { EventView } from "./views.ts";

const encoder = new TextEncoder();
const frame = (e: EventView) => encoder.encode(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);

export class EventStreams {
  private readonly listeners = new Map<string, Set<WritableStreamDefaultWriter<Uint8Array>>>();

  /** A stream of `history`, then of what `publish` sends for this callback; closed at once when the callback is final. */
  open(callbackId: string, history: readonly EventView[], final: boolean): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    for (const e of history) void writer.write(frame(e)).catch(() => {});
    const set = this.listeners.get(callbackId) ?? new Set();
    set.add(writer);
    this.listeners.set(callbackId, set);
    void writer.closed.finally(() => set.delete(writer)).catch(() => {});
    if (final) void writer.close().catch(() => {});
    return new Response(readable, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" },
    });
  }

  /** Sends an event to whoever listens to this callback; it is made only when someone does. */
  publish(callbackId: string, make: () => EventView): void {
    const writers = this.listeners.get(callbackId);
    if (!writers || writers.size === 0) return;
    const bytes = frame(make());
    for (const w of writers) void w.write(bytes).catch(() => writers.delete(w));
  }

  close(callbackId: string): void {
    for (const w of this.listeners.get(callbackId) ?? []) void w.close().catch(() => {});
    this.listeners.delete(callbackId);
  }
}
