/**
 * How the callback cloud talks to a site's resource manager: by a service binding
 * (`SITE_<ID>`) when the edge is deployed beside the sites, else by URL from
 * SITE_URLS. Every call carries a token the edge signs for that site alone
 * (federation/wire/edge-tokens.ts). A site that does not answer in time is
 * "unreachable", never an exception.
 */
import type { z } from "zod";
import type { reservationInput } from "../../objects/roster/model.ts";
import { systemClock } from "../../objects/shared/clock.ts";
import type { Digest } from "../wire/digest.ts";
import { parseDigest } from "../wire/digest.ts";
import { cloudTokenFor } from "../wire/edge-tokens.ts";

export interface SiteTransportEnv {
  /** The edge's Ed25519 private key (JWK JSON): it signs the membership list and each call to a site. */
  EDGE_MEMBERSHIP_KEY?: string;
  /** JSON object: siteId -> base URL, e.g. {"paris":"http://127.0.0.1:8801"}. */
  SITE_URLS?: string;
  /** Service bindings to sites beside this node, `SITE_<ID>` (SITE_URLS and a site's own SITE_ID share the prefix). */
  [binding: `SITE_${string}`]: Fetcher | string | undefined;
}

/** A service binding, told apart from the string settings that share its prefix. */
const fetcherOf = (value: Fetcher | string | undefined): Fetcher | null =>
  typeof value === "object" && value !== null && typeof value.fetch === "function" ? value : null;

export type SiteAnswer<T> =
  | { ok: true; value: T }
  | { ok: false; status: number; code: string; message: string; details?: unknown };

const SITE_TIMEOUT_MS = 2_000;

/** What a site's reservation route takes: its schema is the contract. */
export type ReservationRequest = z.input<typeof reservationInput>;

export interface SiteReservation {
  id: string;
  siteId: string;
  callbackId: string;
  agentId: string;
  start: string;
  end: string;
  status: "held" | "claimed" | "released" | "expired";
  expiresAt: string;
}

export interface SiteSlots {
  siteId: string;
  slots: { start: string; end: string; capacity: number }[];
}

/** How this node reaches a site: its base URL and the fetch to use (a service binding's, or the global one). */
export interface SiteRoute {
  base: string;
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
}

/** Sites beside this node in one account are service bindings (`SITE_<ID>`); others are URLs in SITE_URLS. */
export function siteRoute(env: SiteTransportEnv, siteId: string): SiteRoute | null {
  const binding = fetcherOf(env[`SITE_${siteId.toUpperCase()}`]);
  if (binding) return { base: `https://${siteId}.site`, fetch: (url, init) => binding.fetch(url, init) };
  const base = siteUrls(env)[siteId];
  return base ? { base, fetch: (url, init) => fetch(url, init) } : null;
}

/** The sites this node is configured to reach: service bindings and SITE_URLS. */
export function configuredSites(env: SiteTransportEnv): string[] {
  const bound = Object.keys(env)
    .filter((k): k is `SITE_${string}` => /^SITE_[A-Z0-9_-]+$/.test(k))
    .filter((k) => fetcherOf(env[k]) !== null)
    .map((k) => k.slice("SITE_".length).toLowerCase());
  return [...new Set([...bound, ...Object.keys(siteUrls(env))])].sort();
}

function siteUrls(env: SiteTransportEnv): Record<string, string> {
  try {
    return env.SITE_URLS ? (JSON.parse(env.SITE_URLS) as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export class SiteClient {
  constructor(private readonly env: SiteTransportEnv) {}

  digest(siteId: string): Promise<SiteAnswer<Digest>> {
    return this.call(siteId, "GET", "/federation/digest", undefined, (body) => {
      const parsed = parseDigest(JSON.stringify(body));
      return parsed.ok ? parsed.digest : null;
    });
  }

  availability(siteId: string, q: { skill: string; channel: string; from: string; to: string; slotMinutes: number }) {
    const query = new URLSearchParams({ ...q, slotMinutes: String(q.slotMinutes) });
    return this.call<SiteSlots>(siteId, "GET", `/v1/availability?${query}`);
  }

  reserve(siteId: string, request: ReservationRequest) {
    return this.call<SiteReservation>(siteId, "POST", "/federation/reservations", request);
  }

  claim(siteId: string, reservationId: string) {
    return this.call<SiteReservation>(siteId, "POST", `/federation/reservations/${reservationId}/claim`);
  }

  release(siteId: string, reservationId: string) {
    return this.call<SiteReservation>(siteId, "POST", `/federation/reservations/${reservationId}/release`);
  }

  /**
   * An agent's own call at its site, with the agent's own member token (the site checks it
   * with its own key, and lets the agent act on itself only): what the desk at the edge does.
   */
  asAgent<T>(siteId: string, memberToken: string, method: "GET" | "POST", path: string, body?: unknown): Promise<SiteAnswer<{ body: T | null }>> {
    // Wrapped: a 204 (a heartbeat) has no body, and is no malformed answer.
    return this.call(siteId, method, path, body, (b) => ({ body: b as T | null }), memberToken);
  }

  private async call<T>(
    siteId: string,
    method: string,
    path: string,
    body?: unknown,
    check: (body: unknown) => T | null = (b) => b as T,
    asToken?: string,
  ): Promise<SiteAnswer<T>> {
    const route = siteRoute(this.env, siteId);
    if (!route) return { ok: false, status: 404, code: "unknown_site", message: `no route to site ${siteId}` };
    const key = this.env.EDGE_MEMBERSHIP_KEY;
    if (!key && !asToken) return { ok: false, status: 503, code: "not_configured", message: "the edge has no membership key (EDGE_MEMBERSHIP_KEY) to sign its calls with" };
    const token = asToken ?? (await cloudTokenFor(key as string, siteId, null, systemClock.now()));
    const init: RequestInit = {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(SITE_TIMEOUT_MS),
    };
    let res: Response;
    try {
      res = await route.fetch(`${route.base}${path}`, init);
    } catch (err) {
      return { ok: false, status: 503, code: "site_unreachable", message: `site ${siteId} did not answer: ${(err as Error).name}` };
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      return { ok: false, status: 502, code: "site_bad_answer", message: `site ${siteId} answered with something that is not JSON` };
    }
    if (!res.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } })?.error;
      return { ok: false, status: res.status, code: error?.code ?? "site_error", message: error?.message ?? `site ${siteId} answered ${res.status}`, details: error?.details };
    }
    const value = check(parsed);
    return value === null
      ? { ok: false, status: 502, code: "site_bad_answer", message: `site ${siteId} answered with a malformed body` }
      : { ok: true, value };
  }
}
