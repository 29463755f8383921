/**
 * What chaos and the soak ask of the mesh, as its users would: providers registered by
 * the enterprise, agents put on a site's roster and logged in, customers asking for
 * callbacks at the one global endpoint. Plain HTTP over loopback, nothing in-process.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "../federation/node/launcher/options.ts";

export interface Answer {
  status: number;
  body: any;
}

async function send(url: string, method: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  try {
    const res = await fetch(url, {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  } catch (error) {
    // Refused, reset or timed out: a runtime down or restarting.
    return { status: 0, body: String(error) };
  }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * One of the repository's example providers (examples/providers), open around the clock
 * (so no run depends on the hour or the day), under another id and with rules changed.
 */
export async function exampleProvider(example: "acme" | "northstar", over: { id?: string; name?: string; rules?: Record<string, unknown> } = {}): Promise<Record<string, any>> {
  const p = JSON.parse(await readFile(path.join(REPO_ROOT, "examples", "providers", `${example}.json`), "utf8"));
  const allDay = Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]));
  return { ...p, ...(over.id ? { id: over.id } : {}), ...(over.name ? { name: over.name } : {}), rules: { ...p.rules, businessHours: allDay, holidays: [], ...over.rules } };
}

/** A customer's number: distinct per n (each number has its own hourly limit), never one the simulated media server scripts to fail (…0001–0004). */
export const customerPhone = (n: number): string => `+1512555${1000 + (n % 9000)}`;

/** A window of `minutes` starting `fromNowMinutes` ahead, or as soon as possible. */
export type When = { asap: true } | { fromNowMinutes: number; minutes: number };

const windowOf = (when: When) =>
  "asap" in when
    ? { asap: true as const }
    : { start: new Date(Date.now() + when.fromNowMinutes * 60_000).toISOString(), end: new Date(Date.now() + (when.fromNowMinutes + when.minutes) * 60_000).toISOString() };

/**
 * A customer's offer and request, the request with its own Idempotency-Key: answers the
 * confirmation on 201, or the status that refused it (0: the edge did not answer).
 */
export async function requestCallback(
  edge: string,
  providerId: string,
  customer: { user: string; when: When; reason: string; phone: string },
): Promise<{ status: number; confirmation: string | null; body: unknown }> {
  const offer = await send(`${edge}/v1/interactions`, "POST", { providerId, user: { id: customer.user } });
  if (offer.status !== 200) return { status: offer.status, confirmation: null, body: offer.body };
  const created = await send(
    `${edge}/v1/callbacks`,
    "POST",
    { indicia: offer.body.token, when: windowOf(customer.when), media: ["voice"], contact: { phone: customer.phone }, reason: customer.reason, notify: "none" },
    { "idempotency-key": crypto.randomUUID() },
  );
  return { status: created.status, confirmation: created.status === 201 ? (created.body.confirmation as string) : null, body: created.body };
}

export interface AgentSpec {
  id: string;
  skills: Record<string, number>;
}

/** Agents put on a site's roster (admin) and logged in as available; answers them as `heartbeats` takes them. */
export async function seedAgents(site: string, token: string, agents: readonly AgentSpec[]): Promise<{ site: string; id: string }[]> {
  for (const a of agents) {
    const put = await send(`${site}/v1/agents/${a.id}`, "PUT", { name: a.id, skills: a.skills, channels: ["voice", "sms"], languages: ["en"] }, bearer(token));
    if (put.status !== 200 && put.status !== 201) throw new Error(`PUT agent ${a.id} at ${site}: ${put.status} ${JSON.stringify(put.body)}`);
    const status = await send(`${site}/v1/agents/${a.id}/status`, "POST", { state: "available" }, bearer(token));
    if (status.status !== 200) throw new Error(`agent ${a.id} at ${site} logging in: ${status.status} ${JSON.stringify(status.body)}`);
  }
  return agents.map((a) => ({ site, id: a.id }));
}

/** A callback as ops see it (admin), or `{ status: "unreadable" }` while the edge does not answer. */
export async function callbackAsOps(edge: string, token: string, confirmation: string): Promise<any> {
  const res = await send(`${edge}/v1/callbacks/${confirmation}`, "GET", undefined, bearer(token));
  return res.status === 200 ? res.body : { status: `unreadable (${res.status})` };
}

/** Free agents the edge has heard of over gossip, by site. */
export async function heardAvailable(edge: string, token: string): Promise<Record<string, number>> {
  const res = await send(`${edge}/v1/mesh`, "GET", undefined, bearer(token));
  if (res.status !== 200) return {};
  return Object.fromEntries((res.body.members as { siteId: string; agents: { available: number } }[]).map((m) => [m.siteId, m.agents.available]));
}

/**
 * The agents' desktops: a heartbeat for each agent every 10 s (the monitor marks an agent
 * unreachable after 30 s of silence). Failures are ignored, as a desktop retries on its own.
 */
export function heartbeats(token: string, agents: () => readonly { site: string; id: string }[], everyMs = 10_000): { stop(): void } {
  const beat = () => {
    for (const a of agents()) void send(`${a.site}/v1/agents/${a.id}/heartbeat`, "POST", undefined, bearer(token));
  };
  beat();
  const timer = setInterval(beat, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
