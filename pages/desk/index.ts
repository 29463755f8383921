/**
 * The agent's desk (/desk): sign in with the token your site signed, see and change your
 * state, and work your callbacks as they arrive. While the page is open it sends a
 * heartbeat every 10 s (a site marks an agent unreachable after 30 s without one), and
 * it listens on the live feed: each change reloads the desk.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError } from "../shared/api.ts";
import { html } from "../shared/html.ts";
import { mountPage, TokenGate, type SignOut } from "../shared/session.ts";
import { CallbackCard, type CardActions } from "./callback-card.ts";
import { DeskApi, REPORTABLE_STATES, type Desk } from "./desk-api.ts";
import { openLiveFeed } from "./live-feed.ts";

const HEARTBEAT_MS = 10_000;
const base = location.origin;

function DeskPage(props: { api: DeskApi; onSignOut: (why: string | null) => void }) {
  const { api, onSignOut } = props;
  const [desk, setDesk] = useState<Desk | null>(null);
  const [live, setLive] = useState(false);
  const [breakMinutes, setBreakMinutes] = useState(15);
  const [error, setError] = useState<string | null>(null);
  const loading = useRef<Promise<void> | null>(null);
  const again = useRef(false);

  const fail = useCallback(
    (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) onSignOut("Your token is no longer valid: sign in again.");
      else setError((err as Error).message);
    },
    [onSignOut],
  );

  // One load at a time; changes during a load ask for one more after it.
  const reload = useCallback(() => {
    if (loading.current) {
      again.current = true;
      return;
    }
    loading.current = api
      .desk()
      .then((d) => {
        setDesk(d);
        setError(null);
      })
      .catch(fail)
      .finally(() => {
        loading.current = null;
        if (again.current) {
          again.current = false;
          reload();
        }
      });
  }, [api, fail]);

  useEffect(() => {
    reload();
    const beat = () => api.heartbeat().catch(fail);
    void beat();
    const timer = setInterval(() => void beat(), HEARTBEAT_MS);
    const close = openLiveFeed(base, api.token, { onChanges: reload, onConnected: setLive, onRefused: () => onSignOut("Your sign-in expired.") });
    return () => {
      clearInterval(timer);
      close();
    };
  }, [api, reload, fail, onSignOut]);

  const actionsFor = (confirmation: string): CardActions => {
    const after = (done: Promise<unknown>) => done.then(reload);
    return {
      annotate: (text) => after(api.annotate(confirmation, text)),
      answer: (text) => after(api.answer(confirmation, text)),
      transfer: (to) => after(api.transfer(confirmation, to)),
      complete: (outcome, notes) => after(api.complete(confirmation, outcome, notes)),
    };
  };

  const agent = desk?.agent;
  return html`<header class="bar">
      <h1>Desk${agent ? ` — ${agent.name}` : ""}</h1>
      <span class=${`badge ${live ? "health-up" : "health-down"}`} role="status" aria-label=${live ? "live updates on" : "live updates off"}>
        ${live ? "live" : "offline"}</span>
      ${agent
        ? html`<label for="state" class="sr-only">My state</label>
          <select id="state" aria-label="My state" value=${agent.state}
            onChange=${(e: Event) => {
              const state = (e.target as HTMLSelectElement).value;
              // A break says when it ends; busy and wrap-up may, the others do not.
              const until = state === "break" ? new Date(Date.now() + breakMinutes * 60_000).toISOString() : undefined;
              api.status(state, until).then(reload).catch(fail);
            }}>
            ${agent.state === "unreachable" ? html`<option value="unreachable" disabled>unreachable</option>` : null}
            ${REPORTABLE_STATES.map((s) => html`<option value=${s}>${s.replace("_", " ")}</option>`)}
          </select>
          <label for="break-minutes" class="sr-only">Break length</label>
          <select id="break-minutes" aria-label="Break length" value=${String(breakMinutes)}
            onChange=${(e: Event) => setBreakMinutes(Number((e.target as HTMLSelectElement).value))}>
            ${[5, 10, 15, 30, 60].map((m) => html`<option value=${String(m)}>break ${m} min</option>`)}
          </select>
          <span data-testid="agent-state" class="muted">${agent.state}${agent.until ? ` until ${new Date(agent.until).toLocaleTimeString()}` : ""}</span>`
        : null}
      <button type="button" class="secondary" onClick=${() => onSignOut(null)}>Sign out</button>
    </header>
    <main>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      ${desk === null
        ? html`<p class="loading">Loading your callbacks…</p>`
        : html`<section aria-labelledby="mine">
            <h2 id="mine">My callbacks (${desk.callbacks.length})</h2>
            ${desk.callbacks.length === 0 ? html`<p class="muted">Nothing reserved for you yet; new callbacks appear here as they are.</p>` : null}
            <div class="grid">
              ${desk.callbacks.map(
                (item) => html`<${CallbackCard} key=${item.callback.confirmation} item=${item} actions=${actionsFor(item.callback.confirmation)} />`,
              )}
            </div>
          </section>`}
    </main>`;
}

/** The desk's API for one token, made once per token: the page's effects depend on it. */
function SignedInDesk(props: { token: string; signOut: SignOut }) {
  const api = useMemo(() => new DeskApi(base, props.token), [props.token]);
  return html`<${DeskPage} api=${api} onSignOut=${props.signOut} />`;
}

mountPage(
  () => html`<${TokenGate} storageKey="callback-desk-token" title="Agent desk"
    hint="Paste the token your site gave you (POST /v1/tokens at your site, role agent)."
    page=${(token: string, signOut: SignOut) => html`<${SignedInDesk} token=${token} signOut=${signOut} />`} />`,
);
