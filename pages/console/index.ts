/**
 * The ops console (/console): the mesh's members, their health and their agents per
 * skill and state, and the service figures, each read again a second after the last
 * answer. A partner's token sees what its boundary allows (the edge filters; the page
 * shows what it gets).
 */
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { ApiError } from "../shared/api.ts";
import { html } from "../shared/html.ts";
import { mountPage, TokenGate, type SignOut } from "../shared/session.ts";
import { ConsoleApi, type Mesh, type Stats } from "./console-api.ts";
import { AgentsTable, FiguresTable, MeshTable } from "./tables.ts";

const EVERY_MS = 1_000;

/** Calls `read` now and every `everyMs`, one at a time (a slow answer delays the next, never piles up). */
function usePoll<T>(read: () => Promise<T>, everyMs: number, onError: (err: unknown) => void): T | null {
  const [value, setValue] = useState<T | null>(null);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const v = await read();
        if (!stopped) setValue(v);
      } catch (err) {
        if (!stopped) onError(err);
      }
      if (!stopped) timer = setTimeout(() => void tick(), everyMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [read, everyMs, onError]);
  return value;
}

function ConsolePage(props: { api: ConsoleApi; onSignOut: (why: string | null) => void }) {
  const { api, onSignOut } = props;
  const [error, setError] = useState<string | null>(null);
  const fail = useCallback(
    (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) onSignOut("Your token is no longer valid: sign in again.");
      else setError((err as Error).message);
    },
    [onSignOut],
  );
  const mesh = usePoll<Mesh>(api.mesh, EVERY_MS, fail);
  const stats = usePoll<Stats>(api.stats, EVERY_MS, fail);

  return html`<header class="bar">
      <h1>Console</h1>
      <span class="muted" role="status">${mesh ? `mesh as the ${mesh.self} sees it, ${new Date().toLocaleTimeString()}` : "connecting…"}</span>
      <button type="button" class="secondary" onClick=${() => onSignOut(null)}>Sign out</button>
    </header>
    <main>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      ${mesh ? html`<${MeshTable} mesh=${mesh} />` : html`<p class="loading">Reading the mesh…</p>`}
      ${stats ? html`<${FiguresTable} stats=${stats} />` : null}
      ${mesh ? html`<${AgentsTable} mesh=${mesh} />` : null}
    </main>`;
}

function SignedInConsole(props: { token: string; signOut: SignOut }) {
  const api = useMemo(() => new ConsoleApi(location.origin, props.token), [props.token]);
  return html`<${ConsolePage} api=${api} onSignOut=${props.signOut} />`;
}

mountPage(
  () => html`<${TokenGate} storageKey="callback-console-token" title="Ops console"
    hint="Paste an ops token (POST /v1/tokens at the edge, role ops), the admin token, or your partner token."
    page=${(token: string, signOut: SignOut) => html`<${SignedInConsole} token=${token} signOut=${signOut} />`} />`,
);
