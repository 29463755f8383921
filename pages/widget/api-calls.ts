/** The edge's customer routes as the widget calls them (no token: the offer's token and the verifier are the permissions). */
import { ApiError, callApi } from "../shared/api.ts";
import type { Messages } from "./i18n.ts";
import { randomId, type Tracking } from "./storage.ts";

export type Channel = "voice" | "sms" | "email" | "chat" | "video";
export type CallbackStatus =
  | "pending" | "scheduled" | "dialing" | "connected" | "completed" | "answered" | "retrying" | "failed" | "cancelled" | "expired";

export interface Provider {
  id: string;
  name: string;
  timezone: string;
  /** Absent: English only. */
  languages?: string[];
}

export interface Slot {
  start: string;
  end: string;
  capacity: number;
}

export interface Offer {
  token: string;
  expiresAt: string;
  estimatedWaitSeconds: number | null;
  slots: Slot[];
  channels: Channel[];
  openNow?: boolean;
  opensAt?: string;
}

/** What the customer sees of a callback, from the request's receipt or its status. */
export interface StatusView {
  confirmation: string;
  status: CallbackStatus;
  scheduledFor: string | null;
  channel: Channel;
  answer?: string | null;
}

export type Receipt = StatusView & Tracking;

/** What the customer chose in the offer; the rest of the request is the widget's. */
export interface Choice {
  when: { asap: true } | { start: string; end: string };
  media: [Channel];
  contact: { phone: string } | { email: string };
}

export const getProvider = (api: string, id: string) => callApi<Provider>(api, `/v1/providers/${encodeURIComponent(id)}`);

export const getOffer = (api: string, providerId: string, user: string, reason: string) =>
  // The edge takes at most 2000 characters of page address.
  callApi<Offer>(api, "/v1/interactions", { body: { providerId, user: { id: user }, context: { reason, page: location.href.slice(0, 2000) } } });

/** Asks for the callback; a retry of the very same request reuses its Idempotency-Key, so it cannot book twice. */
export function requester(api: string): (body: Choice & { indicia: string; reason: string; language: string }) => Promise<Receipt> {
  let last = { body: "", key: "" };
  return (body) => {
    const json = JSON.stringify(body);
    if (json !== last.body) last = { body: json, key: randomId() };
    return callApi<Receipt>(api, "/v1/callbacks", { body, headers: { "idempotency-key": last.key } });
  };
}

// statusUrl is absolute and carries the verifier.
export const getStatus = (statusUrl: string, signal?: AbortSignal) => callApi<StatusView>("", statusUrl, { signal });
export const cancelCallback = (statusUrl: string) => callApi<StatusView>("", statusUrl, { method: "DELETE" });
export const moveCallback = (statusUrl: string, when: Choice["when"]) => callApi<StatusView>("", statusUrl, { method: "PATCH", body: { when } });

/** What to tell the customer of a failure: the edge's message, or ours for an overload or no connection. */
export function errorText(err: unknown, t: Messages): string {
  if (!(err instanceof ApiError)) return String(err);
  return err.status === 429 ? t.tooMany : err.status === 0 ? t.network : err.message;
}
