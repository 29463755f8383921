/**
 * A page's sign-in: the token a person pastes, kept in this tab's sessionStorage
 * (gone when the tab closes; never in a cookie, never sent anywhere but this edge).
 */
import { useState } from "preact/hooks";
import { html } from "./html.ts";

export function storedToken(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

export function storeToken(key: string, token: string | null): void {
  try {
    if (token) sessionStorage.setItem(key, token);
    else sessionStorage.removeItem(key);
  } catch {
    // Storage refused (private mode): the token lives in memory for this page only.
  }
}

/** The sign-in form: a token field and a button; `hint` says which token this page takes. */
export function SignIn(props: { title: string; hint: string; error: string | null; onToken: (token: string) => void }) {
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
