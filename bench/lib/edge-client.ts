/**
 * The calls the cloud benches make of a local mesh: JSON over fetch, a customer's offer
 * then request, a provider registered open around the clock, agents staffed at the sites.
 */
import { bucketOf } from "../../objects/shared/key-hash.ts";
import { runTasks } from "./load.ts";
import type { LocalWorker } from "./workers.ts";

export const SITES = ["austin", "paris", "manila"] as const;
export type SiteId = (typeof SITES)[number];
export const CUSTOMER_PHONE = "+15125550142";

/**
 * A customer's own phone number: intake counts callbacks per number, so a bench's
 * thousands of customers must not share one. Never ends in 0001–0004 (the simulated
 * media server's busy, no answer, voicemail and failure): every call is answered.
 */
export function phoneOf(userId: string): string {
  return `+1512555${1000 + bucketOf(userId, 9000)}`;
}

/** Intake limits far above what a bench sends (it measures throughput, not refusals); the counting still runs. */
export const BENCH_LIMITS = { callbacksPerOffer: 1, perAddressPerMinute: 6000, perPhonePerHour: 100, perMinute: 100_000 };

export interface Answer {
  status: number;
  // The edge's JSON answers, read loosely.
  body: any;
  text: string;
}

export type EdgeCall = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Answer>;

export async function call(url: URL, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: res.status, body: parsed, text };
}

export type Requested =
  | { kind: "accepted"; confirmation: string; status: string; scheduledFor: string | null; offerMs: number; requestMs: number }
  | { kind: "refused"; label: string; sample: string };

/** What a client does: ask for an offer, then for a callback with its indicia. */
export async function requestCallback(edge: EdgeCall, providerId: string, userId: string, reason: string, key: string): Promise<Requested> {
  let offer: Answer;
  const t0 = performance.now();
  try {
    offer = await edge("POST", "/v1/interactions", { providerId, user: { id: userId }, context: { reason } });
  } catch (err) {
    return { kind: "refused", label: "offer failed", sample: `POST /v1/interactions -> ${err instanceof Error ? err.message : String(err)}` };
  }
  if (offer.status !== 200 || typeof offer.body?.token !== "string") {
    return { kind: "refused", label: `offer ${offer.status}`, sample: `POST /v1/interactions -> ${offer.status} ${offer.text.slice(0, 300)}` };
  }
  let res: Answer;
  const t1 = performance.now();
  try {
    res = await edge(
      "POST",
      "/v1/callbacks",
      { indicia: offer.body.token, when: { asap: true }, media: ["voice"], contact: { phone: phoneOf(userId) }, reason },
      { "idempotency-key": key },
    );
  } catch (err) {
    return { kind: "refused", label: "callback failed", sample: `POST /v1/callbacks -> ${err instanceof Error ? err.message : String(err)}` };
  }
  if (res.status !== 201 || typeof res.body?.confirmation !== "string") {
    return { kind: "refused", label: `callback ${res.status}`, sample: `POST /v1/callbacks -> ${res.status} ${res.text.slice(0, 300)}` };
  }
  return {
    kind: "accepted",
    confirmation: res.body.confirmation,
    status: String(res.body.status),
    scheduledFor: res.body.scheduledFor ?? null,
    offerMs: t1 - t0,
    requestMs: performance.now() - t1,
  };
}

/** The fixture's provider under another id, open around the clock with no holidays. */
export async function registerProvider(
  edge: EdgeCall,
  admin: Record<string, string>,
  fixture: Record<string, unknown> & { rules: Record<string, unknown> },
  id: string,
  over: Record<string, unknown> = {},
): Promise<void> {
  const registration = {
    ...fixture,
    id,
    rules: { ...fixture.rules, businessHours: ROUND_THE_CLOCK, holidays: [] },
    limits: BENCH_LIMITS,
    ...over,
  };
  const res = await edge("POST", "/v1/providers", registration, admin);
  if (res.status !== 201 && res.status !== 200) throw new Error(`POST /v1/providers (${id}) answered ${res.status}: ${res.text.slice(0, 500)}`);
}

const ROUND_THE_CLOCK = Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]));

const agentId = (group: string, siteId: string, i: number) => `${group}-${siteId}-${String(i).padStart(3, "0")}`;

export function agentsOf(sites: Record<SiteId, LocalWorker>, group: string, perSite: number): { url: URL; id: string }[] {
  return SITES.flatMap((siteId) => Array.from({ length: perSite }, (_, i) => ({ url: sites[siteId].url, id: agentId(group, siteId, i) })));
}

/** Agents as the edge tests staff them (appliance_repair 3, voice and sms, English), capacity 20, logged in and available. */
export async function seedAgents(
  sites: Record<SiteId, LocalWorker>,
  adminToken: string,
  group: string,
  perSite: number,
  concurrency: number,
  skills: Record<string, number> = { appliance_repair: 3 },
): Promise<void> {
  const headers = { authorization: `Bearer ${adminToken}` };
  await runTasks(agentsOf(sites, group, perSite), concurrency, async ({ url, id }) => {
    const put = await call(
      new URL(`/v1/agents/${id}`, url),
      "PUT",
      { name: `Agent ${id}`, skills, channels: ["voice", "sms"], languages: ["en"], capacity: 20, exposure: "federated" },
      headers,
    );
    if (put.status !== 201 && put.status !== 200) throw new Error(`seeding: PUT /v1/agents/${id} answered ${put.status}: ${put.text.slice(0, 300)}`);
    const status = await call(new URL(`/v1/agents/${id}/status`, url), "POST", { state: "available" }, headers);
    if (status.status !== 200) throw new Error(`seeding: POST /v1/agents/${id}/status answered ${status.status}: ${status.text.slice(0, 300)}`);
  });
}

export async function setState(
  sites: Record<SiteId, LocalWorker>,
  adminToken: string,
  group: string,
  perSite: number,
  concurrency: number,
  report: { state: string; until?: string },
): Promise<void> {
  await runTasks(agentsOf(sites, group, perSite), concurrency, async ({ url, id }) => {
    const res = await call(new URL(`/v1/agents/${id}/status`, url), "POST", report, { authorization: `Bearer ${adminToken}` });
    if (res.status !== 200) throw new Error(`POST /v1/agents/${id}/status ${JSON.stringify(report)} answered ${res.status}: ${res.text.slice(0, 300)}`);
  });
}

