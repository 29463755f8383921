/** What the widget keeps in the browser: who the customer is (local) and the callback it follows (this tab's session). */
export interface Tracking {
  confirmation: string;
  verifier: string;
  statusUrl: string;
  eventsUrl: string;
}

// crypto.randomUUID exists only in secure contexts: the edge lets https pages (and localhost) call it, nothing else.
export const randomId = (): string => crypto.randomUUID();

let memoryUser: string | undefined;

/** One browser, one customer: the id the offers are asked under (kept in memory where storage is refused). */
export function userId(): string {
  try {
    let id = localStorage.getItem("callback-widget-user");
    if (!id) localStorage.setItem("callback-widget-user", (id = randomId()));
    return id;
  } catch {
    return (memoryUser ??= randomId());
  }
}

const key = (provider: string) => `callback-widget:${provider}`;

export function loadTracking(provider: string): Tracking | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(key(provider)) ?? "null") as Tracking | null;
    return saved?.statusUrl && saved.eventsUrl ? saved : null;
  } catch {
    return null;
  }
}

export function saveTracking(provider: string, tracking: Tracking | null): void {
  try {
    if (tracking) sessionStorage.setItem(key(provider), JSON.stringify(tracking, ["confirmation", "verifier", "statusUrl", "eventsUrl"]));
    else sessionStorage.removeItem(key(provider));
  } catch {
    // Storage refused: the status lasts as long as the page.
  }
}

/**
 * The callback a message's link names (#confirmation=…&verifier=…, a fragment: never sent to a
 * server, so no log holds the verifier). Taken into this tab's session and wiped from the address bar.
 */
export function trackingFromLink(provider: string, api: string): Tracking | null {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const confirmation = fragment.get("confirmation");
  const verifier = fragment.get("verifier");
  if (!confirmation || !verifier || !/^[A-Za-z0-9-]{1,32}$/.test(confirmation)) return null;
  const statusUrl = `${api}/v1/callbacks/${encodeURIComponent(confirmation)}?verifier=${encodeURIComponent(verifier)}`;
  const tracking = { confirmation, verifier, statusUrl, eventsUrl: statusUrl.replace("?", "/events?") };
  saveTracking(provider, tracking);
  history.replaceState(history.state, "", location.pathname + location.search);
  return tracking;
}
