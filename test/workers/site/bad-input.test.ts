import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { api, report } from "./contract.ts";
import { agentBody, ADMIN, CLOUD, cloudToken, iso, PEER, putAgent, T0, useClock } from "./helpers.ts";

type Case = { name: string; method: string; path: string; body?: unknown; token?: string; status: number; code: string; field?: string };

const range = { from: iso(T0), to: iso(T0 + 3600_000) };
const slot = { callbackId: "cb-1", skill: "appliance_repair", channel: "voice", start: iso(T0 + 900_000), end: iso(T0 + 1800_000) };

const CASES: Case[] = [
  { name: "JSON that does not parse", method: "PUT", path: "/v1/agents/zed", body: "{ name: ", status: 400, code: "invalid_request" },
  { name: "no name", method: "PUT", path: "/v1/agents/zed", body: { ...agentBody(), name: undefined }, status: 400, code: "invalid_request", field: "body.name" },
  { name: "a skill level of 6", method: "PUT", path: "/v1/agents/zed", body: agentBody({ skills: { billing: 6 } }), status: 400, code: "invalid_request", field: "body.skills.billing" },
  { name: "a skill level of 0", method: "PUT", path: "/v1/agents/zed", body: agentBody({ skills: { billing: 0 } }), status: 400, code: "invalid_request", field: "body.skills.billing" },
  { name: "a skill that is not a slug", method: "PUT", path: "/v1/agents/zed", body: agentBody({ skills: { "Billing Team": 2 } }), status: 400, code: "invalid_request", field: "body.skills.Billing Team" },
  { name: "an unknown channel", method: "PUT", path: "/v1/agents/zed", body: agentBody({ channels: ["fax"] }), status: 400, code: "invalid_request", field: "body.channels.0" },
  { name: "no channel", method: "PUT", path: "/v1/agents/zed", body: agentBody({ channels: [] }), status: 400, code: "invalid_request", field: "body.channels" },
  { name: "a channel twice", method: "PUT", path: "/v1/agents/zed", body: agentBody({ channels: ["voice", "voice"] }), status: 400, code: "invalid_request", field: "body.channels" },
  { name: "a language that is not a tag", method: "PUT", path: "/v1/agents/zed", body: agentBody({ languages: ["english"] }), status: 400, code: "invalid_request", field: "body.languages.0" },
  { name: "capacity 0", method: "PUT", path: "/v1/agents/zed", body: agentBody({ capacity: 0 }), status: 400, code: "invalid_request", field: "body.capacity" },
  { name: "fractional capacity", method: "PUT", path: "/v1/agents/zed", body: agentBody({ capacity: 2.5 }), status: 400, code: "invalid_request", field: "body.capacity" },
  { name: "an unknown exposure", method: "PUT", path: "/v1/agents/zed", body: agentBody({ exposure: "secret" }), status: 400, code: "invalid_request", field: "body.exposure" },
  { name: "a time zone that does not exist", method: "PUT", path: "/v1/agents/zed", body: agentBody({ shift: { timezone: "Mars/Olympus", weekly: {} } }), status: 400, code: "invalid_request", field: "body.shift.timezone" },
  { name: "a shift that ends before it starts", method: "PUT", path: "/v1/agents/zed", body: agentBody({ shift: { timezone: "Europe/Paris", weekly: { mon: [["17:00", "09:00"]] } } }), status: 400, code: "invalid_request", field: "body.shift.weekly.mon.0" },
  { name: "a shift starting at 24:00", method: "PUT", path: "/v1/agents/zed", body: agentBody({ shift: { timezone: "Europe/Paris", weekly: { mon: [["24:00", "24:00"]] } } }), status: 400, code: "invalid_request", field: "body.shift.weekly.mon.0" },
  { name: "a day that is not a weekday", method: "PUT", path: "/v1/agents/zed", body: agentBody({ shift: { timezone: "Europe/Paris", weekly: { funday: [["09:00", "17:00"]] } } }), status: 400, code: "invalid_request", field: "body.shift.weekly" },
  { name: "an unknown field", method: "PUT", path: "/v1/agents/zed", body: agentBody({ salary: 100 }), status: 400, code: "invalid_request", field: "body" },
  { name: "an agent id with spaces", method: "PUT", path: "/v1/agents/Ana%20Souza", body: agentBody(), status: 400, code: "invalid_request", field: "param.agentId" },
  { name: "a body over the limit", method: "PUT", path: "/v1/agents/zed", body: agentBody({ name: "x".repeat(70_000) }), status: 413, code: "payload_too_large" },
  { name: "a body that is not JSON", method: "PUT", path: "/v1/agents/zed", body: "name=Zed", status: 415, code: "unsupported_media_type" },
  { name: "a state that does not exist", method: "POST", path: "/v1/agents/ana/status", body: { state: "sleeping" }, status: 400, code: "invalid_request", field: "body.state" },
  { name: "a break with no end", method: "POST", path: "/v1/agents/ana/status", body: { state: "break" }, status: 400, code: "invalid_request", field: "body.until" },
  { name: "an until that is not a time", method: "POST", path: "/v1/agents/ana/status", body: { state: "break", until: "tomorrow" }, status: 400, code: "invalid_request", field: "body.until" },
  { name: "an until with a state that has none", method: "POST", path: "/v1/agents/ana/status", body: { state: "available", until: iso(T0 + 60_000) }, status: 400, code: "invalid_request", field: "body.until" },
  { name: "a break that ended already", method: "POST", path: "/v1/agents/ana/status", body: { state: "break", until: iso(T0 - 60_000) }, status: 400, code: "invalid_request", field: "until" },
  { name: "a break until the year 9999", method: "POST", path: "/v1/agents/ana/status", body: { state: "break", until: "9999-12-31T23:59:59Z" }, status: 400, code: "invalid_request", field: "until" },
  { name: "a name with a newline", method: "PUT", path: "/v1/agents/zed", body: agentBody({ name: "Zed\nAdmin: yes" }), status: 400, code: "invalid_request", field: "body.name" },
  { name: "a name with a right-to-left override", method: "PUT", path: "/v1/agents/zed", body: agentBody({ name: "Zed \u202Egnp.exe" }), status: 400, code: "invalid_request", field: "body.name" },
  { name: "a name with a lone surrogate", method: "PUT", path: "/v1/agents/zed", body: agentBody({ name: "Zed \uD800" }), status: 400, code: "invalid_request", field: "body.name" },
  { name: "a report for an agent that does not exist", method: "POST", path: "/v1/agents/nobody/status", body: { state: "available" }, status: 404, code: "agent_not_found" },
  { name: "availability with no skill", method: "GET", path: `/v1/availability?channel=voice&from=${range.from}&to=${range.to}`, status: 400, code: "invalid_request", field: "query.skill" },
  { name: "availability ending before it starts", method: "GET", path: `/v1/availability?skill=billing&channel=voice&from=${range.to}&to=${range.from}`, status: 400, code: "invalid_request", field: "query.to" },
  { name: "availability over a month", method: "GET", path: `/v1/availability?skill=billing&channel=voice&from=${range.from}&to=${iso(T0 + 30 * 86_400_000)}`, status: 400, code: "invalid_request", field: "query.to" },
  { name: "a reservation ending before it starts", method: "POST", path: "/federation/reservations", token: CLOUD, body: { ...slot, end: iso(T0) }, status: 400, code: "invalid_request", field: "body.end" },
  { name: "a reservation on a channel that does not exist", method: "POST", path: "/federation/reservations", token: CLOUD, body: { ...slot, channel: "pigeon" }, status: 400, code: "invalid_request", field: "body.channel" },
  { name: "a reservation in the past", method: "POST", path: "/federation/reservations", token: CLOUD, body: { ...slot, start: iso(T0 - 7200_000), end: iso(T0 - 3600_000) }, status: 400, code: "invalid_request", field: "end" },
  { name: "a hold in the year 9999", method: "POST", path: "/federation/reservations", token: CLOUD, body: { ...slot, start: "9999-12-31T23:00:00Z", end: "9999-12-31T23:15:00Z" }, status: 400, code: "invalid_request", field: "start" },
  { name: "a reservation for an agent that does not exist", method: "POST", path: "/federation/reservations", token: CLOUD, body: { ...slot, agentId: "r_0123456789abcdef0123" }, status: 404, code: "agent_not_found" },
  { name: "a claim on a malformed reservation id", method: "POST", path: "/federation/reservations/42/claim", token: CLOUD, status: 400, code: "invalid_request", field: "param.reservationId" },
  { name: "a token for a role that cannot be issued", method: "POST", path: "/v1/tokens", body: { role: "admin" }, status: 400, code: "invalid_request", field: "body.role" },
  { name: "a token for an agent that does not exist", method: "POST", path: "/v1/tokens", body: { role: "agent", agentId: "nobody" }, status: 404, code: "agent_not_found" },
  { name: "a route that does not exist", method: "GET", path: "/v1/agentz", status: 404, code: "not_found" },
];

async function snapshot() {
  const agents = (await api("GET", "/v1/agents")).body;
  const digest = (await api("GET", "/federation/digest", undefined, PEER)).body;
  return { agents, digestAgents: digest.agents };
}

describe("bad input", () => {
  it(`answers each of ${CASES.length} malformed requests with a 4xx in the error shape, and changes nothing`, async () => {
    await useClock();
    await putAgent("ana", { shift: { timezone: "Europe/Paris", weekly: { wed: [["09:00", "17:00"]] } } });
    await report("ana", "available");
    const before = await snapshot();
    const cloud = await cloudToken();
    for (const c of CASES) {
      const headers: Record<string, string> = { authorization: `Bearer ${c.token === CLOUD ? cloud : (c.token ?? ADMIN)}` };
      let body: string | undefined;
      if (c.body !== undefined) {
        body = typeof c.body === "string" ? c.body : JSON.stringify(c.body);
        headers["content-type"] = c.name === "a body that is not JSON" ? "application/x-www-form-urlencoded" : "application/json";
      }
      const res = await SELF.fetch(`http://paris.test${c.path}`, { method: c.method, headers, body });
      const answer = await res.json<any>();
      expect(res.status, c.name).toBe(c.status);
      expect(answer.error.code, c.name).toBe(c.code);
      expect(typeof answer.error.message, c.name).toBe("string");
      if (c.field) {
        const paths = (answer.error.details.fields as { path: string }[]).map((f) => f.path);
        expect(paths, c.name).toContain(c.field);
      }
    }
    expect(await snapshot()).toEqual(before);
  });
});
