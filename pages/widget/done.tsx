/** Step 3: the callback asked for, its status followed live (app.tsx) until it is final; cancelled or moved from here. */
import type { App } from "./app.tsx";
import type { CallbackStatus } from "./api-calls.ts";
import { isFinal } from "./live.ts";
import { browserTimeZone, formatInstant } from "./time.ts";
import { freeSlots, whenChoices } from "./when.tsx";

// What the edge lets a customer move: a callback not yet being called (a 409 says so if that changed meanwhile).
const MOVABLE: readonly CallbackStatus[] = ["pending", "scheduled", "retrying"];

export function done(app: App) {
  const { t, locale, state } = app;
  const view = state.view;
  const status = view?.status;
  // Final, or on the line already: nothing left to cancel.
  const open = status && !isFinal(status) && status !== "connected";
  const movable = status && MOVABLE.includes(status);
  return (
    <section key="done">
      <h2 tabIndex={-1}>{t.doneTitle}</h2>
      <p>{t.confirmation}</p>
      <p class="conf" data-testid="confirmation">
        {state.tracking!.confirmation}
      </p>
      <p aria-live="polite">{status && t.status(t.statuses[status])}</p>
      {open && view.scheduledFor && (
        <p data-testid="planned">
          {t.channels[view.channel]} · {t.planned(formatInstant(view.scheduledFor, locale, browserTimeZone()))}
        </p>
      )}
      {view?.answer && (
        <>
          <p>{t.answer}</p>
          <blockquote>{view.answer}</blockquote>
        </>
      )}
      {movable && state.moving ? (
        moveForm(app)
      ) : (
        <div class="row">
          {movable && (
            <button type="button" disabled={state.busy} onClick={app.startMove}>
              {t.move}
            </button>
          )}
          {open && (
            <button type="button" disabled={state.busy} onClick={app.cancel}>
              {t.cancel}
            </button>
          )}
          <button type="button" onClick={app.another}>
            {t.another}
          </button>
        </div>
      )}
    </section>
  );
}

/** A new time from a fresh offer's free slots; the callback keeps its old one until the edge has the new one held. */
function moveForm(app: App) {
  const { t, state } = app;
  const { free, slot } = freeSlots(state.moving!.slots, state.moveStart);
  const submit = (e: Event) => {
    e.preventDefault();
    app.move(slot ? { start: slot.start, end: slot.end } : { asap: true });
  };
  return (
    <form onSubmit={submit}>
      <p>{t.moveTitle}</p>
      {whenChoices(app, free, slot, (moveStart) => app.set({ moveStart }))}
      <div class="row">
        <button type="button" onClick={app.keep}>
          {t.keep}
        </button>
        <button disabled={state.busy}>{t.moveConfirm}</button>
      </div>
    </form>
  );
}
