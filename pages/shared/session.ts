/**
 * A page's sign-in: the token a person pastes, kept in this tab's sessionStorage
 * (gone when the tab closes; never in a cookie, never sent anywhere but this edge).
 */
import { render, type ComponentChildren } from "preact";
import { useCallback, useState } from "preact/hooks";
import { html } from "./html.ts";

function storedToken(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function storeToken(key: string, token: string | null): void {
  try {
    if (token) sessionStorage.setItem(key, token);
    else sessionStorage.removeItem(key);
  } catch {
    // Storage refused (private mode): the token lives in memory for this page only.
  }
}

/** The sign-in form: a token field and a button; `hint` says which token this page takes. */
function SignIn(props: { title: string; hint: string; error: string | null; onToken: (token: string) => void }) {
  const [value, setValue] = useState("");
  return html`<main>
    <section class="card" aria-labelledby="signin-title">
      <h1 id="signin-title">${props.title}</h1>
      <p class="muted">${props.hint}</p>
      <form onSubmit=${(e: Event) => {
        e.preventDefault();
        if (value.trim()) props.onToken(value.trim());
      }}>
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="off" value=${value}
          onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} />
        ${props.error ? html`<p class="error" role="alert">${props.error}</p>` : null}
        <p><button type="submit">Sign in</button></p>
      </form>
    </section>
  </main>`;
}

export type SignOut = (why: string | null) => void;

/**
 * A page behind a token: the sign-in form until the tab has one (kept under `storageKey`),
 * then `page(token, signOut)`; signing out (or a token the edge refused) shows the form
 * again, with the reason.
 */
export function TokenGate(props: { storageKey: string; title: string; hint: string; page: (token: string, signOut: SignOut) => ComponentChildren }) {
  const { storageKey } = props;
  const [token, setToken] = useState<string | null>(() => storedToken(storageKey));
  const [why, setWhy] = useState<string | null>(null);
  const signOut = useCallback<SignOut>(
    (reason) => {
      storeToken(storageKey, null);
      setToken(null);
      setWhy(reason);
    },
    [storageKey],
  );
  if (token) return props.page(token, signOut);
  return html`<${SignIn} title=${props.title} hint=${props.hint} error=${why}
    onToken=${(t: string) => {
      storeToken(storageKey, t);
      setWhy(null);
      setToken(t);
    }} />`;
}

/** Renders a page's root in place of its shell's "Loading…" (preact renders beside what it did not make). */
export function mountPage(app: () => ComponentChildren): void {
  const root = document.getElementById("app") as HTMLElement;
  root.textContent = "";
  render(html`<${app} />`, root);
}
