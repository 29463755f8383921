/** Step 3: the callback asked for, its status followed live (app.tsx) until it is final. */
import type { App } from "./app.tsx";
import { isFinal } from "./live.ts";
import { browserTimeZone, formatInstant } from "./time.ts";

export function done(app: App) {
  const { t, locale, state } = app;
  const view = state.view;
  const status = view?.status;
  // Final, or on the line already: nothing left to cancel.
  const open = status && !isFinal(status) && status !== "connected";
  return (
    <section key="done">
      <h2 tabIndex={-1}>{t.doneTitle}</h2>
      <p>{t.confirmation}</p>
      <p class="conf" data-testid="confirmation">
        {state.tracking!.confirmation}
      </p>
      <p aria-live="polite">{status && t.status(t.statuses[status])}</p>
      {open && view.scheduledFor && (
        <p>
          {t.channels[view.channel]} · {t.planned(formatInstant(view.scheduledFor, locale, browserTimeZone()))}
        </p>
      )}
      {view?.answer && (
        <>
          <p>{t.answer}</p>
          <blockquote>{view.answer}</blockquote>
        </>
      )}
      <div class="row">
        {open && (
          <button type="button" disabled={state.busy} onClick={app.cancel}>
            {t.cancel}
          </button>
        )}
        <button type="button" onClick={app.another}>
          {t.another}
        </button>
      </div>
    </section>
  );
}
