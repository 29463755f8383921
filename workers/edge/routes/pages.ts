/**
 * The pages' HTML: small shells that load their script from the edge's static assets
 * (pages/, built into dist/edge-assets). The desk, the console and the query page sign
 * in with a token the person pastes (kept in the tab's sessionStorage only); the demo
 * page is a provider's page as it would embed the widget. Nothing is loaded from
 * anywhere but this edge.
 */
import { Hono } from "hono";
import { ApiError } from "../../shared/errors.ts";
import type { EdgeApp } from "../app-types.ts";

/** Same-origin scripts and calls only; the widget demo also loads the widget from the edge's public URL. */
const csp = (extraScript = "", extraConnect = "") =>
  [
    "default-src 'self'",
    `script-src 'self'${extraScript}`,
    // The widget's shadow root carries its own <style>; preact sets style attributes.
    "style-src 'self' 'unsafe-inline'",
    `connect-src 'self'${extraConnect}`,
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function shell(title: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · Callback mesh</title>
<link rel="stylesheet" href="/static/pages.css">
</head>
<body>
<div id="app"><p class="loading">Loading ${escape(title.toLowerCase())}…</p></div>
<script type="module" src="/static/${script}.js"></script>
</body>
</html>`;
}

const PROVIDER_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** A provider's page as a host embeds the widget: the demo, or the customer's own callback (a message's link). */
function widgetPage(providerId: string, edge: string, heading: string, lead: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Contact us · ${escape(providerId)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
  header { background: #1d2430; color: #fff; padding: 1rem 1.5rem; }
  main { max-width: 40rem; margin: 0 auto; padding: 1.5rem; }
</style>
</head>
<body>
<header><strong>${escape(providerId)}</strong> — customer care</header>
<main>
<h1>${escape(heading)}</h1>
<p>${escape(lead)}</p>
<callback-widget provider="${escape(providerId)}" api="${escape(edge)}"></callback-widget>
</main>
<script src="${escape(edge)}/widget.js" defer></script>
</body>
</html>`;
}

export const pages = new Hono<EdgeApp>()
  // Browsers ask every host for one; an empty answer keeps a 404 out of every page's console.
  .get("/favicon.ico", (c) => c.body(null, 204, { "cache-control": "public, max-age=86400" }))
  .get("/desk", (c) => c.html(shell("Desk", "desk"), 200, { "content-security-policy": csp("", " ws: wss:") }))
  .get("/console", (c) => c.html(shell("Console", "console"), 200, { "content-security-policy": csp() }))
  .get("/graphiql", (c) => c.html(shell("GraphQL", "graphiql"), 200, { "content-security-policy": csp() }))
  .get("/demo/widget", (c) => {
    const providerId = c.req.query("provider") ?? "";
    if (!PROVIDER_ID.test(providerId)) throw new ApiError(400, "invalid_request", "name a provider: /demo/widget?provider=<id>");
    const edge = (c.env.PUBLIC_URL ?? new URL(c.req.url).origin).replace(/\/+$/, "");
    const page = widgetPage(providerId, edge, "Talk to us", "No hold music: tell us what it is about and we call you back at a time that suits you.");
    return c.html(page, 200, { "content-security-policy": csp(` ${edge}`, ` ${edge}`) });
  })
  // Where a confirmation or reminder links: the callback, named in the fragment (#confirmation=…&verifier=…), followed live.
  .get("/callback", (c) => {
    const providerId = c.req.query("provider") ?? "";
    if (!PROVIDER_ID.test(providerId)) throw new ApiError(400, "invalid_request", "name a provider: /callback?provider=<id>");
    const edge = (c.env.PUBLIC_URL ?? new URL(c.req.url).origin).replace(/\/+$/, "");
    const page = widgetPage(providerId, edge, "Your callback", "Where your callback stands; you can cancel it here.");
    return c.html(page, 200, { "content-security-policy": csp(` ${edge}`, ` ${edge}`), "referrer-policy": "no-referrer" });
  });
