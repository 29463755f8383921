import { env, runDurableObjectAlarm, SELF } from "cloudflare:test";
import { decodeJwt, type JWK } from "jose";
import { httpCall, type Call } from "../../http-call.ts";
import acme from "../../../examples/providers/acme.json" with { type: "json" };
import type { CallbackShard } from "../../../objects/callback-cloud/callback-shard.ts";
import { shardIndexes, shardName } from "../../../objects/callback-cloud/shards.ts";
import type { DialRecord, SimulatedMediaServer } from "../../../objects/media-server/simulated-media-server.ts";
import type { EdgeEnv } from "../../../workers/edge/env.ts";
import { INSTANTS, TEST_SECRETS } from "../../constants.ts";
import { TEST_MEMBER_KEYS } from "../member-keys.ts";
import { projectClock, type ProjectClock } from "../project-clock.ts";

export const ADMIN = TEST_SECRETS.MESH_ADMIN_TOKEN;
export const EDGE_SECRET = TEST_SECRETS.EDGE_JWT_SECRET;
export const ACME = acme;

/** Wednesday 2030-01-09, 10:00 in Chicago: Acme is open (08:00-20:00 CST). Every test starts here (setup.ts). */
export const T0 = INSTANTS.chicagoWednesdayMorning;
export const MIN = 60_000;

export const edgeEnv = env as unknown as EdgeEnv & Record<`SITE_${string}`, Fetcher> & { TELEPHONY: Fetcher };

export type { Call } from "../../http-call.ts";

const call = (fetcher: { fetch: typeof fetch }, base: string, method: string, path: string, body?: unknown, token?: string | null, headers?: Record<string, string>) =>
  httpCall(fetcher, `${base}${path}`, method, body, token, headers);

export const edge = (method: string, path: string, body?: unknown, token: string | null = null, headers?: Record<string, string>) =>
  call(SELF, "https://edge.test", method, path, body, token, headers);

export const site = (siteId: string, method: string, path: string, body?: unknown, token: string | null = ADMIN) =>
  call(edgeEnv[`SITE_${siteId.toUpperCase()}`], `https://${siteId}.site`, method, path, body, token);

/** Tells a site double (edge/doubles/site-on-project-clock.ts) something through one of its test routes. */
async function tellSiteDouble(siteId: string, route: "dark" | "clock", body: unknown): Promise<void> {
  const res = await edgeEnv[`SITE_${siteId.toUpperCase()}`].fetch(`https://${siteId}.site/_test/${route}`, { method: "PUT", body: JSON.stringify(body) });
  if (res.status !== 204) throw new Error(`site ${siteId} refused /_test/${route}: ${res.status}`);
}

/** Makes a site's /healthz fail (its runtime dead, to the edge's probes) or answer again; every other route still answers. */
export const darken = (siteId: string, dark: boolean): Promise<void> => tellSiteDouble(siteId, "dark", { dark });

/** Moves one site's clock alone (the project clock moves them all): a node whose clock stepped. */
export const setSiteClock = (siteId: string, nowMs: number): Promise<void> => tellSiteDouble(siteId, "clock", { nowMs });

/** One of a provider's callback shards (its only one unless the test registers more). */
/** The peer ids the tests register the three sites under, and the peers' shared secret (vitest.config.ts). */
export const PEERS = {
  paris: "12D3KooWQSi2xhxttDvd6CHQzCmKJHyuSkV8h6MZXyd1UrJGHPtD",
  austin: "12D3KooWKmENPSTL3YvWu7geiVzAkVnfnga7Dx136M7zJ9JZha3C",
  manila: "12D3KooWDcWdfY7KMt24YXko73w5ciuu48MwQJQuR4NoD7grbt9R",
} as const;
export const PEER = TEST_SECRETS.PEER_SECRET;

/** A site's public member key, as the membership lists it (test/workers/member-keys.ts). */
export function memberPublicKey(siteId: string): JWK {
  const { kty, crv, x } = JSON.parse(TEST_MEMBER_KEYS[siteId] as string) as JWK;
  return { kty, crv, x };
}

/**
 * Admin adds (or updates) a member of the federation: a test site with its peer id and its
 * member key; `over` changes any of it (a site of the test's own, a partner's trust).
 */
export async function addMember(siteId: string, over: Record<string, unknown> = {}): Promise<Call> {
  const known = siteId in PEERS ? { peerId: PEERS[siteId as keyof typeof PEERS], keys: [memberPublicKey(siteId)] } : {};
  const res = await edge("POST", "/v1/federation/members", { siteId, ...known, ...over }, ADMIN);
  if (res.status !== 201 && res.status !== 200) throw new Error(`member: ${res.status} ${res.text}`);
  return res;
}

/** What a site's peer does: read its Worker's digest and hand it to the edge's peer, which posts it to the edge. */
export async function gossip(siteId: string): Promise<Call> {
  const digest = (await site(siteId, "GET", "/federation/digest", undefined, PEER)).body;
  return edge("POST", "/federation/digests", { digests: [digest] }, PEER);
}

export const cloud = (providerId = "acme", shard = 0) => edgeEnv.CALLBACK_SHARDS.getByName(shardName(providerId, shard));

/** Every callback shard of a registered provider, as the directory counts them. */
export async function shardsOf(providerId = "acme"): Promise<DurableObjectStub<CallbackShard>[]> {
  const entry = await edgeEnv.DIRECTORY.getByName("providers").locate(providerId);
  return shardIndexes(entry?.shards ?? 1).map((i) => cloud(providerId, i));
}

/** Runs the alarm of every shard of the provider; true when any ran. */
async function runAlarms(providerId: string): Promise<boolean> {
  const ran = [];
  for (const shard of await shardsOf(providerId)) ran.push(await runDurableObjectAlarm(shard));
  return ran.some(Boolean);
}
export const media = () => edgeEnv.MEDIA.getByName("simulated") as unknown as DurableObjectStub<SimulatedMediaServer>;

/**
 * Intake limits far above what a test sends, so that tests of other things never meet them (one test
 * address, one phone number, one offer for many callbacks); limits.test.ts registers its own.
 */
export const ROOMY_LIMITS = { callbacksPerOffer: 10, perAddressPerMinute: 6000, perPhonePerHour: 100, perMinute: 100_000 };

/** Registers Acme (with `over`) at `startMs`: the project's one clock is set there, for the edge and every site. */
export async function registerAcme(over: Record<string, unknown> = {}, startMs = T0): Promise<ProjectClock> {
  await projectClock.set(startMs);
  const res = await edge("POST", "/v1/providers", { ...ACME, limits: ROOMY_LIMITS, ...over }, ADMIN);
  if (res.status !== 201 && res.status !== 200) throw new Error(`register: ${res.status} ${res.text}`);
  return projectClock;
}

/** Acme under another id, open around the clock: for tests about agents' own hours, not the provider's. */
export async function registerAllDay(id: string): Promise<ProjectClock> {
  const allDay = Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]));
  return registerAcme({ id, rules: { ...ACME.rules, businessHours: allDay, holidays: [] } });
}

/** An agent logged in and available at a site; answers its opaque ref. */
export async function staff(siteId: string, agentId: string, skills: Record<string, number>, over: Record<string, unknown> = {}): Promise<string> {
  const put = await site(siteId, "PUT", `/v1/agents/${agentId}`, {
    name: `Agent ${agentId}`,
    skills,
    channels: ["voice", "sms"],
    languages: ["en"],
    capacity: 1,
    exposure: "federated",
    ...over,
  });
  if (put.status !== 201 && put.status !== 200) throw new Error(`agent: ${put.status} ${put.text}`);
  const status = await site(siteId, "POST", `/v1/agents/${agentId}/status`, { state: "available" });
  if (status.status !== 200) throw new Error(`status: ${status.status} ${status.text}`);
  return put.body.ref;
}

export async function offer(reason?: string, userId = "user-1"): Promise<Call> {
  return edge("POST", "/v1/interactions", { providerId: "acme", user: { id: userId }, context: reason ? { reason } : undefined });
}

let keys = 0;
/**
 * Asks for a callback, then lets the provider's cloud plan it, as its alarm (due at once)
 * does when it runs: the answer comes before the plan, and tests read the plan after.
 */
export async function requestCallback(body: Record<string, unknown> = {}, key = `key-${++keys}-${crypto.randomUUID()}`): Promise<Call> {
  const answer = await requestOnly(body, key);
  if (answer.status === 201) await planNow(String(decodeJwt(String(body.indicia ?? answer.indicia)).pid));
  return answer;
}

/** The request alone: answered once durable, before any plan. */
export async function requestOnly(body: Record<string, unknown> = {}, key = `key-${++keys}-${crypto.randomUUID()}`): Promise<Call & { indicia: string }> {
  const indicia = String(body.indicia ?? (await offer()).body.token);
  const answer = await edge(
    "POST",
    "/v1/callbacks",
    { indicia, when: { asap: true }, media: ["voice"], contact: { phone: "+15125550142" }, reason: "my washing machine stopped spinning", ...body },
    null,
    { "idempotency-key": key },
  );
  return { ...answer, indicia };
}

/** Runs the provider's alarm now, as the runtime does when a new request makes it due. */
export async function planNow(providerId = "acme"): Promise<boolean> {
  return runAlarms(providerId);
}

export async function status(confirmation: string, verifier?: string, token?: string): Promise<Call> {
  return edge("GET", `/v1/callbacks/${confirmation}${verifier ? `?verifier=${encodeURIComponent(verifier)}` : ""}`, undefined, token ?? null);
}

/** Moves the project's clock and runs the provider's alarm, as the runtime would at that instant. */
export async function runAt(atMs: number, providerId = "acme"): Promise<boolean> {
  await projectClock.set(atMs);
  return runAlarms(providerId);
}

export async function dials(confirmation: string): Promise<DialRecord[]> {
  return media().dials(confirmation) as Promise<DialRecord[]>;
}

export const types = (view: { history: { type: string }[] }) => view.history.map((e) => e.type);
