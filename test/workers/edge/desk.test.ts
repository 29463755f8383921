/**
 * The agent's desk at the edge: an agent signed in with its site's token sees its
 * state and the callbacks reserved for it (with what the customer gave and earlier
 * callbacks), reports its state and heartbeats at its site through the edge, and hears
 * of each change live on a WebSocket.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { edge, requestCallback, site } from "./contract.ts";
import { addMember, ADMIN, PEERS, registerAcme, staff, T0 } from "./helpers.ts";

type SiteId = keyof typeof PEERS;

async function members(): Promise<void> {
  for (const siteId of Object.keys(PEERS)) await addMember(siteId);
}

async function siteToken(siteId: SiteId, agentId: string): Promise<string> {
  const res = await site(siteId, "POST", "/v1/tokens", { role: "agent", agentId }, ADMIN);
  if (res.status !== 201) throw new Error(`token: ${res.status} ${res.text}`);
  return res.body.token;
}

/** Opens the desk's live feed as a browser would (token in a subprotocol); answers the socket and its messages so far. */
async function openFeed(token: string) {
  const res = await SELF.fetch("https://edge.test/v1/desk/live", {
    headers: { upgrade: "websocket", "sec-websocket-protocol": `callback-desk.v1, bearer.${token}` },
  });
  expect(res.status).toBe(101);
  expect(res.headers.get("sec-websocket-protocol")).toBe("callback-desk.v1");
  const ws = res.webSocket as WebSocket;
  ws.accept();
  const messages: { type: string; changes?: { confirmation: string; type: string; status: string }[] }[] = [];
  const waiters: (() => void)[] = [];
  ws.addEventListener("message", (e) => {
    messages.push(JSON.parse(String(e.data)));
    for (const w of waiters.splice(0)) w();
  });
  /** Waits until a message satisfies `test` (the socket's own events drive it: no timer). */
  const until = async (test: (m: (typeof messages)[number]) => boolean) => {
    while (!messages.some(test)) await new Promise<void>((resolve) => waiters.push(resolve));
    return messages.find(test);
  };
  return { ws, messages, until };
}

describe("the agent's desk", () => {
  it("shows the agent its state and its callbacks with the customer's words, its intent and earlier callbacks", async () => {
    await registerAcme();
    await members();
    await staff("paris", "ana", { appliance_repair: 5 });
    const first = await requestCallback({ reason: "the fridge is not cooling anymore" });
    const second = await requestCallback({ reason: "my washing machine is leaking water everywhere", notes: "gate code 1234" });
    expect([first.status, second.status]).toEqual([201, 201]);
    const ana = await siteToken("paris", "ana");

    const desk = await edge("GET", "/v1/desk", undefined, ana);
    expect(desk.status).toBe(200);
    expect(desk.body.agent).toMatchObject({ id: "ana", state: "available" });
    const mine = desk.body.callbacks.find((d: { callback: { confirmation: string } }) => d.callback.confirmation === second.body.confirmation);
    expect(mine.callback).toMatchObject({ status: "scheduled", reason: "my washing machine is leaking water everywhere", notes: "gate code 1234" });
    expect(mine.callback.contact.phone).toBe("+15125550142");
    expect(mine.analysis.intent.name).toBe("repair");
    // The same customer (user-1) asked before: the agent sees it.
    expect(mine.previous.map((p: { confirmation: string }) => p.confirmation)).toEqual([first.body.confirmation]);

    // Another agent's desk does not show Ana's callbacks.
    await staff("austin", "bo", { appliance_repair: 1 });
    const bo = await siteToken("austin", "bo");
    const hers = new Set([first.body.confirmation, second.body.confirmation]);
    const bos = (await edge("GET", "/v1/desk", undefined, bo)).body.callbacks as { callback: { confirmation: string } }[];
    expect(bos.filter((d) => hers.has(d.callback.confirmation))).toEqual([]);
  });

  it("reports the agent's state and heartbeats at its site through the edge, with the site's own token", async () => {
    await registerAcme();
    await members();
    await staff("paris", "ana", { appliance_repair: 5 });
    const ana = await siteToken("paris", "ana");

    // A break says when it ends.
    const onBreak = await edge("POST", "/v1/desk/status", { state: "break", until: new Date(T0 + 15 * 60_000).toISOString() }, ana);
    expect(onBreak.status, onBreak.text).toBe(200);
    expect(onBreak.body.state).toBe("break");
    // The site holds the truth: its roster says break.
    expect((await site("paris", "GET", "/v1/agents/ana")).body.state).toBe("break");
    // `unreachable` is the monitor's to set, not the agent's.
    const illegal = await edge("POST", "/v1/desk/status", { state: "unreachable" }, ana);
    expect(illegal.status).toBe(400);
    expect((await edge("POST", "/v1/desk/heartbeat", undefined, ana)).status).toBe(204);
    const seen = (await site("paris", "GET", "/v1/agents/ana")).body.lastReportAt;
    expect(typeof seen).toBe("string");

    // An edge-signed agent token names no roster entry: it reads its callbacks but reports no state.
    const ref = (await site("paris", "GET", "/v1/agents/ana")).body.ref;
    const edgeToken = (await edge("POST", "/v1/tokens", { role: "agent", siteId: "paris", agentId: ref }, ADMIN)).body.token;
    expect((await edge("GET", "/v1/desk", undefined, edgeToken)).body.agent).toBeNull();
    const refused = await edge("POST", "/v1/desk/status", { state: "available" }, edgeToken);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("site_token_required");
    // Ops have no desk.
    expect((await edge("GET", "/v1/desk", undefined, ADMIN)).status).toBe(403);
  });

  it("pushes each change of the agent's callbacks to its open desk", async () => {
    await registerAcme();
    await members();
    await staff("paris", "ana", { appliance_repair: 5 });
    const ana = await siteToken("paris", "ana");
    const feed = await openFeed(ana);
    await feed.until((m) => m.type === "hello");

    const { body: cb } = await requestCallback();
    const assigned = await feed.until((m) => m.type === "changed" && !!m.changes?.some((c) => c.confirmation === cb.confirmation && c.type === "agent_assigned"));
    expect(assigned?.changes?.find((c) => c.type === "agent_assigned")?.status).toBe("scheduled");

    const done = await edge("POST", `/v1/callbacks/${cb.confirmation}/answer`, { text: "the part ships tomorrow" }, ana);
    expect(done.status).toBe(200);
    await feed.until((m) => !!m.changes?.some((c) => c.confirmation === cb.confirmation && c.type === "answered" && c.status === "answered"));
    feed.ws.close();
  });

  it("refuses a live feed without an agent's token, or without an upgrade", async () => {
    const plain = await SELF.fetch("https://edge.test/v1/desk/live");
    expect(plain.status).toBe(426);
    expect((await plain.json()) as object).toMatchObject({ error: { code: "upgrade_required" } });
    const anonymous = await SELF.fetch("https://edge.test/v1/desk/live", { headers: { upgrade: "websocket", "sec-websocket-protocol": "callback-desk.v1" } });
    expect(anonymous.status).toBe(401);
    const forged = await SELF.fetch("https://edge.test/v1/desk/live", { headers: { upgrade: "websocket", "sec-websocket-protocol": "callback-desk.v1, bearer.a.b.c" } });
    expect(forged.status).toBe(401);
    const admin = await SELF.fetch("https://edge.test/v1/desk/live", { headers: { upgrade: "websocket", "sec-websocket-protocol": `callback-desk.v1, bearer.${ADMIN}` } });
    expect(admin.status).toBe(403);
  });
});
