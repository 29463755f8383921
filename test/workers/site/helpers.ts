import { env, SELF } from "cloudflare:test";
import { httpCall, type Call } from "../../http-call.ts";
import { signCloudToken } from "../../../federation/wire/edge-tokens.ts";
import type { Viewer } from "../../../federation/wire/viewer.ts";
import { INSTANTS, TEST_SECRETS } from "../../constants.ts";
import { projectClock, type ProjectClock } from "../project-clock.ts";

export const ADMIN = TEST_SECRETS.MESH_ADMIN_TOKEN;
export const PEER = TEST_SECRETS.PEER_SECRET;

/** The edge's membership key in these tests (vitest.config.ts): what it signs its calls to a site with. */
export const EDGE_KEY = (env as unknown as { EDGE_MEMBERSHIP_KEY: string }).EDGE_MEMBERSHIP_KEY;

/** A token the edge signs for one site, as the callback cloud and the gateway call it, signed now (it lives five minutes). */
export const cloudToken = (siteId = "paris", viewer: Viewer | null = null, key = EDGE_KEY) => signCloudToken(key, siteId, viewer, projectClock.now());

/** Stands for the edge's token for this site in `api` calls (tables of cases name it before any token can be signed). */
export const CLOUD = "<the edge's token for paris>";

/** A fixed Wednesday morning in Paris, where every test starts (setup.ts): far enough ahead of the real date that no alarm fires by itself. */
export const T0 = INSTANTS.parisWednesdayMorning;

export type { Call } from "../../http-call.ts";

export const api = async (method: string, path: string, body?: unknown, token: string | null = ADMIN, headers?: Record<string, string>): Promise<Call> =>
  httpCall(SELF, `http://paris.test${path}`, method, body, token === CLOUD ? await cloudToken() : token, headers);

export const roster = () => env.ROSTER.getByName("paris");

/** The project's one clock, at `startMs`: the site Worker, its objects and the tokens it checks all read it. */
export async function useClock(startMs = T0): Promise<ProjectClock> {
  await projectClock.set(startMs);
  return projectClock;
}

export const agentBody = (over: Record<string, unknown> = {}) => ({
  name: "Ana Souza",
  skills: { appliance_repair: 4, billing: 2 },
  channels: ["voice", "sms"],
  languages: ["en", "fr"],
  capacity: 1,
  exposure: "federated",
  ...over,
});

export async function putAgent(id: string, over: Record<string, unknown> = {}): Promise<any> {
  const res = await api("PUT", `/v1/agents/${id}`, agentBody(over));
  if (res.status !== 201 && res.status !== 200) throw new Error(`PUT ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function report(id: string, state: string, until?: number, token = ADMIN): Promise<Call> {
  return api("POST", `/v1/agents/${id}/status`, until === undefined ? { state } : { state, until: new Date(until).toISOString() }, token);
}

export async function agentToken(agentId: string): Promise<string> {
  const res = await api("POST", "/v1/tokens", { role: "agent", agentId });
  if (res.status !== 201) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}

export const iso = (ms: number) => new Date(ms).toISOString();
