/** One callback on the desk: what the customer gave, what the engine made of it, its history, and the agent's actions. */
import { useState } from "preact/hooks";
import { html } from "../shared/html.ts";
import { OUTCOMES, type DeskCallback } from "./desk-api.ts";

export interface CardActions {
  annotate(text: string): Promise<void>;
  answer(text: string): Promise<void>;
  transfer(to: { skill?: string; siteId?: string }): Promise<void>;
  complete(outcome: string, notes?: string): Promise<void>;
}

const FINAL = new Set(["completed", "answered", "failed", "cancelled", "expired"]);
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" }) : "—");

export function CallbackCard(props: { item: DeskCallback; actions: CardActions }) {
  const { callback: cb, analysis, previous, providerId } = props.item;
  const [text, setText] = useState("");
  const [skill, setSkill] = useState("");
  const [site, setSite] = useState("");
  const [outcome, setOutcome] = useState<string>("resolved");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = `cb-${cb.confirmation}`;
  const final = FINAL.has(cb.status);

  const run = (action: () => Promise<void>, clear = false) => async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
      if (clear) setText("");
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return html`<article class="card" aria-labelledby=${`${id}-title`} data-confirmation=${cb.confirmation} data-status=${cb.status}>
    <h2 id=${`${id}-title`}>
      ${cb.confirmation} <span class=${`badge status-${cb.status}`}>${cb.status}</span>
    </h2>
    <p class="muted">${providerId} · ${cb.channel} · ${when(cb.scheduledFor)} (window ${when(cb.window.start)}–${when(cb.window.end)})</p>
    <dl>
      <dt>Reason</dt><dd>${cb.reason ?? "—"}</dd>
      <dt>Intent</dt><dd>${analysis.intent.name} (${Math.round(analysis.intent.confidence * 100)}%), priority ${analysis.priority}${
        analysis.urgency.length ? html`, <strong>urgent: ${analysis.urgency.join(", ")}</strong>` : null}</dd>
      <dt>Contact</dt><dd>${cb.contact?.phone ?? cb.contact?.email ?? "—"}</dd>
      ${cb.notes ? html`<dt>Notes</dt><dd>${cb.notes}</dd>` : null}
      ${cb.answer ? html`<dt>Answer</dt><dd>${cb.answer}</dd>` : null}
    </dl>
    <details>
      <summary>History (${cb.history.length})</summary>
      <ol class="history">${cb.history.map((e) => html`<li>${when(e.at)} ${e.type}${
        typeof e.detail.text === "string" ? `: ${e.detail.text}` : ""}</li>`)}</ol>
    </details>
    ${previous.length
      ? html`<details><summary>Earlier callbacks (${previous.length})</summary>
          <ul>${previous.map((p) => html`<li>${p.confirmation} · ${p.status} · ${when(p.createdAt)} — ${p.reason}</li>`)}</ul></details>`
      : html`<p class="muted">First callback from this customer.</p>`}
    ${final
      ? null
      : html`<form onSubmit=${run(() => props.actions.annotate(text), true)}>
          <label for=${`${id}-text`}>Note or written answer</label>
          <textarea id=${`${id}-text`} value=${text} maxlength="4000" onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}></textarea>
          <div class="row">
            <button type="submit" disabled=${busy || !text.trim()}>Add note</button>
            <button type="button" class="secondary" disabled=${busy || !text.trim()}
              onClick=${run(() => props.actions.answer(text), true)}>Answer without calling</button>
          </div>
        </form>
        <form onSubmit=${run(() => props.actions.transfer({ ...(skill ? { skill } : {}), ...(site ? { siteId: site } : {}) }))}>
          <div class="row">
            <div><label for=${`${id}-skill`}>Transfer to skill</label>
              <input id=${`${id}-skill`} value=${skill} onInput=${(e: Event) => setSkill((e.target as HTMLInputElement).value.trim())} /></div>
            <div><label for=${`${id}-site`}>or site</label>
              <input id=${`${id}-site`} value=${site} onInput=${(e: Event) => setSite((e.target as HTMLInputElement).value.trim())} /></div>
            <button type="submit" disabled=${busy || (!skill && !site)}>Transfer</button>
          </div>
        </form>
        <form onSubmit=${run(() => props.actions.complete(outcome, text.trim() || undefined), true)}>
          <div class="row">
            <div><label for=${`${id}-outcome`}>Outcome</label>
              <select id=${`${id}-outcome`} value=${outcome} onChange=${(e: Event) => setOutcome((e.target as HTMLSelectElement).value)}>
                ${OUTCOMES.map((o) => html`<option value=${o}>${o.replace("_", " ")}</option>`)}
              </select></div>
            <button type="submit" disabled=${busy}>Complete</button>
          </div>
        </form>`}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
  </article>`;
}
