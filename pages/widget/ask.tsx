/** Step 1: what the callback is about. */
import type { App } from "./app.tsx";
import { valueOf } from "./dom.ts";

export function ask(app: App) {
  const { t, state } = app;
  const submit = (e: Event) => {
    e.preventDefault();
    app.ask();
  };
  return (
    <form key="ask" onSubmit={submit}>
      <h2 tabIndex={-1}>{t.askTitle(state.provider!.name)}</h2>
      <label for="reason">{t.reason}</label>
      <textarea id="reason" rows={4} required maxLength={2000} value={state.reason} onInput={(e) => app.set({ reason: valueOf(e) })} />
      <div class="row">
        <button disabled={state.busy}>{t.callMe}</button>
      </div>
    </form>
  );
}
