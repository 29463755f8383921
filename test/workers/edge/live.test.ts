import { runInDurableObject, SELF } from "cloudflare:test";
import type { CallbackShard } from "../../../objects/callback-cloud/callback-shard.ts";
import type { EventStreams } from "../../../objects/callback-cloud/event-streams.ts";
import { describe, expect, it } from "vitest";
import { sign, verify } from "../../../objects/callback-cloud/signing.ts";
// Answers checked against the OpenAPI document.
import { edge, requestCallback, status } from "./contract.ts";
import { ADMIN, cloud, edgeEnv, registerAcme, runAt, staff, T0, types } from "./helpers.ts";

const SECRET = "acme-telephony-secret-0123";

/** Reads the stream until `needle`; a stream that ends first fails, saying what it had sent. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, needle: string): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(needle)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before ${JSON.stringify(needle)}; it sent:\n${text}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

describe("live status", () => {
  it("streams the history as server-sent events, then each new event, and ends with the callback", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    const res = await SELF.fetch(
      `https://edge.test/v1/callbacks/${body.confirmation}/events?verifier=${encodeURIComponent(body.verifier)}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    const past = await readUntil(reader, "event: agent_assigned");
    expect(past).toContain("event: agent_assigned");
    expect(past).toContain("event: received");
    expect(past).toContain("event: scheduled");
    expect(past).not.toContain("austin");

    await edge("DELETE", `/v1/callbacks/${body.confirmation}?verifier=${encodeURIComponent(body.verifier)}`);
    const live = await readUntil(reader, "event: cancelled");
    expect(live).toContain("event: cancelled");
    expect((await reader.read()).done).toBe(true);
  });

  it("numbers its events, so a listener that reconnects with Last-Event-ID gets only what it missed; over, it gets 204", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    const url = `https://edge.test/v1/callbacks/${body.confirmation}/events?verifier=${encodeURIComponent(body.verifier)}`;
    const first = (await SELF.fetch(url)).body!.getReader();
    const seen = await readUntil(first, "event: notified");
    expect(seen.startsWith("retry: 3000\n\n")).toBe(true);
    const ids = [...seen.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    // received, intent, scheduled, agent_assigned, and the confirmation sent.
    expect(ids).toHaveLength(5);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    await first.cancel();

    // Gone a while: meanwhile the customer cancelled. Back with the last id it had, it gets the cancel alone.
    await edge("DELETE", `/v1/callbacks/${body.confirmation}?verifier=${encodeURIComponent(body.verifier)}`);
    const back = await SELF.fetch(url, { headers: { "last-event-id": String(ids.at(-1)) } });
    expect(back.status).toBe(200);
    const missed = await back.text();
    expect([...missed.matchAll(/^event: (\w+)$/gm)].map((m) => m[1])).toEqual(["cancelled"]);
    const cancelledId = Number(/^id: (\d+)$/m.exec(missed)![1]);
    expect(cancelledId).toBeGreaterThan(ids.at(-1)!);
    // With everything seen of a callback that is over, there is nothing more: 204, and EventSource stops.
    const over = await SELF.fetch(url, { headers: { "last-event-id": String(cancelledId) } });
    expect(over.status).toBe(204);
    // A first visit to a callback that is over still gets its whole history, then the end.
    const all = await (await SELF.fetch(url)).text();
    expect([...all.matchAll(/^event: (\w+)$/gm)].map((m) => m[1])).toEqual(["received", "intent", "scheduled", "agent_assigned", "notified", "cancelled"]);
  });

  it("keeps a quiet stream open with a comment", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    const res = await SELF.fetch(`https://edge.test/v1/callbacks/${body.confirmation}/events?verifier=${encodeURIComponent(body.verifier)}`);
    const reader = res.body!.getReader();
    await readUntil(reader, "event: agent_assigned");
    // What the shard's 15-second timer does, run now rather than waited for.
    await runInDurableObject(cloud(), (shard: CallbackShard) => {
      (shard as unknown as { store: { streams: EventStreams } }).store.streams.ping();
    });
    expect(await readUntil(reader, ": keep-alive\n\n")).toMatch(/^: keep-alive$/m);
    await reader.cancel();
  });

  it("refuses the stream without the verifier", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    expect((await edge("GET", `/v1/callbacks/${body.confirmation}/events?verifier=nope`)).status).toBe(404);
  });
});

describe("a provider's own telephony (webhook media server)", () => {
  it("sends a signed dial request, and takes the signed progress report back", async () => {
    await registerAcme({ webhook: { url: "https://pbx.acme.example/dial", secret: SECRET } });
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    await runAt(T0);
    expect((await status(body.confirmation, body.verifier)).body.status).toBe("dialing");

    // The double keeps every call its worker saw: this test's are the ones for its confirmation.
    const calls = ((await (await edgeEnv.TELEPHONY.fetch("https://telephony/_calls")).json()) as any[]).filter(
      (c) => JSON.parse(c.body).confirmation === body.confirmation && JSON.parse(c.body).notice === undefined,
    );
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe("https://pbx.acme.example/dial");
    // Signed at the cloud's time (the test's clock).
    expect(await verify(SECRET, calls[0].body, calls[0].signature, T0)).toBe(true);
    expect(await verify("not-the-secret-at-all", calls[0].body, calls[0].signature, T0)).toBe(false);
    const dial = JSON.parse(calls[0].body);
    expect(dial).toMatchObject({ confirmation: body.confirmation, attempt: 1, channel: "voice", to: "+15125550142", from: "+15125550100" });
    expect(calls[0].idempotencyKey).toBe(dial.idempotencyKey);

    const report = JSON.stringify({ attempt: 1, outcome: "answered", at: new Date(T0 + 5000).toISOString() });
    const post = (signature: string, text = report) =>
      edge("POST", `/v1/callbacks/${body.confirmation}/progress`, text, null, { "x-mesh-signature": signature });
    // Unsigned, wrongly signed, and replayed-too-late reports change nothing.
    expect((await post("t=1,v1=00")).status).toBe(401);
    expect((await post(await sign("not-the-secret-at-all", report, T0))).status).toBe(401);
    expect((await post(await sign(SECRET, report, T0 - 3600_000))).status).toBe(401);
    // An unsigned caller learns nothing: not whether its body would do, nor whether the confirmation exists.
    expect((await post("t=1,v1=00", "not json")).body.error.code).toBe("bad_signature");
    expect((await post("t=1,v1=00", "{}")).status).toBe(401);
    const unknown = await edge("POST", "/v1/callbacks/ZZZZ-ZZZZ-ZZZZ/progress", report, null, { "x-mesh-signature": "t=1,v1=00" });
    expect(unknown.status).toBe(401);
    // Signed, a malformed body is a 400 naming what is wrong.
    expect((await post(await sign(SECRET, "{}", T0), "{}")).status).toBe(400);
    expect((await status(body.confirmation, body.verifier)).body.status).toBe("dialing");

    const ok = await post(await sign(SECRET, report, T0));
    expect(ok.status).toBe(200);
    const view = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(view.status).toBe("connected");
    expect(types(view).slice(-2)).toEqual(["outcome", "connected"]);
    // The same report again is harmless: answered, and the history is as it was.
    expect((await post(await sign(SECRET, report, T0))).status).toBe(200);
    const again = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(again.status).toBe("connected");
    expect(again.history).toEqual(view.history);
    expect(again.attempts).toEqual(view.attempts);
  });
});

describe("a provider's telephony that fails to answer a dial", () => {
  it("is asked again with the same key until it takes it, never failed for an answer it never gave; past the window, the attempt fails", async () => {
    // A host that answers 503 until healed (the double): the cloud cannot know whether it dialed.
    const host = `flaky.pbx-${crypto.randomUUID().slice(0, 8)}.example`;
    await registerAcme({ webhook: { url: `https://${host}/dial`, secret: SECRET } });
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback({ notify: "none" });
    await runAt(T0);
    expect((await status(body.confirmation, undefined, ADMIN)).body.status).toBe("dialing");
    const asked = async () =>
      ((await (await edgeEnv.TELEPHONY.fetch("https://telephony/_calls")).json()) as any[])
        .filter((c) => c.url.includes(host) && JSON.parse(c.body).confirmation === body.confirmation)
        .map((c) => JSON.parse(c.body).idempotencyKey as string);
    expect(await asked()).toHaveLength(1);

    // Past the two minutes a dial it took has to report in: still dialing, asked again, with the one key.
    for (const at of [T0 + 60_000, T0 + 120_000, T0 + 180_000]) await runAt(at);
    const view = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(view.status).toBe("dialing");
    expect(view.attempts).toHaveLength(1);
    const keys = await asked();
    expect(keys.length).toBeGreaterThan(2);
    expect(new Set(keys).size).toBe(1);

    // Its window closes with no answer ever given: the attempt fails, and the customer is told.
    await runAt(Date.parse(view.window.end) + 1);
    const ended = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(ended.attempts[0].outcome).toBe("failed");
    expect(ended.status).not.toBe("dialing");
    expect(new Set(await asked()).size).toBe(1);
  });
});
