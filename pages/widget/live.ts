/** Following a callback live: its events say when to look, its status (GET statusUrl) says what is so. */
import { getStatus, type CallbackStatus, type StatusView } from "./api-calls.ts";

const FINAL: readonly string[] = ["completed", "answered", "failed", "cancelled", "expired"];
export const isFinal = (status: CallbackStatus): boolean => FINAL.includes(status);

// Events are named for their type; an EventSource only delivers a named event to a listener of that name.
const EVENT_TYPES = ("received intent waiting scheduled agent_assigned replanned rescheduled transferred dialing outcome " +
  "retry_scheduled fallback connected answered completed failed cancelled expired annotated viewed message").split(" ");

/** `task` run for each call, at most one run at a time: calls during a run ask for one more run after it. */
export function coalesce(task: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    void task().finally(() => {
      running = false;
      if (again) run();
    });
  };
  return run;
}

/** Follows a callback until it is final; the answer stops following sooner. */
export function follow(tracking: { statusUrl: string; eventsUrl: string }, onView: (view: StatusView) => void, onError: (err: unknown) => void): () => void {
  const abort = new AbortController();
  const source = new EventSource(tracking.eventsUrl);
  const refresh = coalesce(async () => {
    try {
      const view = await getStatus(tracking.statusUrl, abort.signal);
      if (abort.signal.aborted) return;
      onView(view);
      // The edge ends the stream of a final callback, and an EventSource would reconnect to it forever.
      if (isFinal(view.status)) source.close();
    } catch (err) {
      if (!abort.signal.aborted) onError(err);
    }
  });
  for (const type of EVENT_TYPES) source.addEventListener(type, refresh);
  // A dropped stream reconnects by itself; the status says whether anything is left to follow.
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) refresh();
  };
  refresh();
  return () => {
    abort.abort();
    source.close();
  };
}
