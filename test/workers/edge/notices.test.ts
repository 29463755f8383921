/**
 * The customer's confirmation and reminder: sent through the provider's media server on the
 * channel the customer chose, with a link that opens their callback; the reminder goes a
 * while before the call, moves with it, and is dropped when the call is.
 */
import { describe, expect, it } from "vitest";
import { edge, requestCallback, status } from "./contract.ts";
import { ADMIN, media, MIN, registerAcme, runAt, staff, T0, types } from "./helpers.ts";
import type { MessageRecord } from "../../../objects/media-server/simulated-media-server.ts";

const window = (fromMin: number, toMin: number) => ({ start: new Date(T0 + fromMin * MIN).toISOString(), end: new Date(T0 + toMin * MIN).toISOString() });
const messages = async (confirmation: string) => (await media().messages(confirmation)) as MessageRecord[];
const kinds = async (confirmation: string) => (await messages(confirmation)).map((m) => `${m.notice}:${m.channel}`);
const scheduledFor = async (confirmation: string) => Date.parse((await status(confirmation, undefined, ADMIN)).body.scheduledFor);

/** A callback Ana (Paris) takes in a window two hours ahead, asked for by voice, then SMS. */
async function planned(extra: Record<string, unknown> = {}, over: Record<string, unknown> = {}) {
  await registerAcme(over);
  await staff("paris", "ana", { appliance_repair: 5 });
  const { body } = await requestCallback({ when: window(120, 180), media: ["voice", "sms"], ...extra });
  return body as { confirmation: string; verifier: string };
}

describe("the confirmation", () => {
  it("goes by the customer's text channel once the callback is planned, with the time and a link that opens it", async () => {
    const body = await planned();
    const at = await scheduledFor(body.confirmation);
    const [confirmation, ...rest] = await messages(body.confirmation);
    expect(rest).toEqual([]);
    expect(confirmation).toMatchObject({ notice: "confirmation", channel: "sms", to: "+15125550142", result: "sent", requests: 1 });
    // 12:00 in Chicago on the Wednesday of T0, as Acme's customers read their clocks.
    expect(at).toBe(T0 + 120 * MIN);
    expect(confirmation!.message).toContain("Acme Home Appliances: we will call you at 12:00 on Wed");
    expect(confirmation!.message).toContain(`(ref ${body.confirmation})`);
    const link = confirmation!.message.match(/https:\/\/\S+/)?.[0] ?? "";
    const url = new URL(link);
    expect(`${url.origin}${url.pathname}${url.search}`).toBe("https://edge.test/callback?provider=acme");
    // The verifier rides in the fragment: it is the customer's own, and it opens the callback.
    const fragment = new URLSearchParams(url.hash.slice(1));
    expect(fragment.get("confirmation")).toBe(body.confirmation);
    expect(fragment.get("verifier")).toBe(body.verifier);
    expect((await status(body.confirmation, fragment.get("verifier")!)).status).toBe(200);
    // The customer's history says so.
    const view = (await status(body.confirmation, body.verifier)).body;
    expect(view.history).toContainEqual(expect.objectContaining({ type: "notified", detail: { notice: "confirmation", channel: "sms" } }));
  });

  it("goes by email when the customer asks for it there, and nowhere when they say none", async () => {
    const byEmail = await planned({ media: ["voice"], contact: { phone: "+15125550142", email: "pat@example.com" }, notify: "email" });
    expect(await messages(byEmail.confirmation)).toMatchObject([{ notice: "confirmation", channel: "email", to: "pat@example.com" }]);
    const { body: none } = await requestCallback({ when: window(120, 180), notify: "none" });
    expect(await messages(none.confirmation)).toEqual([]);
    expect(types((await status(none.confirmation, none.verifier)).body)).not.toContain("notified");
  });

  it("asks for the contact it names: notify by email without an address is refused", async () => {
    await registerAcme();
    const res = await edge(
      "POST",
      "/v1/callbacks",
      { indicia: (await edge("POST", "/v1/interactions", { providerId: "acme", user: { id: "u" } })).body.token, when: { asap: true }, media: ["voice"], contact: { phone: "+15125550142" }, reason: "broken", notify: "email" },
      null,
      { "idempotency-key": "notify-without-email" },
    );
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.details.fields).toEqual([{ path: "body.notify", message: "notify by email needs contact.email" }]);
  });

  it("is refused for an address the media server cannot reach, and the history says so", async () => {
    const body = await planned({ contact: { phone: "+15125550004" } });
    expect(await messages(body.confirmation)).toMatchObject([{ notice: "confirmation", result: "refused" }]);
    expect(types((await status(body.confirmation, body.verifier)).body)).toContain("notice_refused");
  });
});

describe("the reminder", () => {
  it("goes an hour before the call (the default), once, and not a minute earlier", async () => {
    const body = await planned();
    const at = await scheduledFor(body.confirmation);
    await runAt(at - 61 * MIN);
    expect(await kinds(body.confirmation)).toEqual(["confirmation:sms"]);
    await runAt(at - 60 * MIN);
    expect(await kinds(body.confirmation)).toEqual(["confirmation:sms", "reminder:sms"]);
    const reminder = (await messages(body.confirmation))[1]!;
    expect(reminder.message).toContain("a reminder, we will call you at 12:00 on Wed");
    expect(reminder.message).toContain(`verifier=${encodeURIComponent(body.verifier)}`);
    // Alarms that run again send nothing again.
    await runAt(at - 59 * MIN);
    expect((await messages(body.confirmation)).map((m) => m.requests)).toEqual([1, 1]);
  });

  it("moves with the call: none at the old time, one at the new", async () => {
    const body = await planned();
    const old = await scheduledFor(body.confirmation);
    const moved = await edge("PATCH", `/v1/callbacks/${body.confirmation}?verifier=${encodeURIComponent(body.verifier)}`, { when: window(240, 300) });
    expect(moved.status, moved.text).toBe(200);
    const now = await scheduledFor(body.confirmation);
    expect(now).toBeGreaterThan(old);
    await runAt(old - 60 * MIN);
    expect(await kinds(body.confirmation)).toEqual(["confirmation:sms"]);
    await runAt(now - 60 * MIN);
    const sent = await messages(body.confirmation);
    expect(sent.map((m) => m.notice)).toEqual(["confirmation", "reminder"]);
    expect(sent[1]!.message).toContain("at 14:00 on Wed");
  });

  it("is dropped when the customer cancels", async () => {
    const body = await planned();
    const at = await scheduledFor(body.confirmation);
    const cancelled = await edge("DELETE", `/v1/callbacks/${body.confirmation}?verifier=${encodeURIComponent(body.verifier)}`);
    expect(cancelled.status).toBe(200);
    await runAt(at - 60 * MIN);
    await runAt(at);
    expect(await kinds(body.confirmation)).toEqual(["confirmation:sms"]);
  });

  it("is not sent for a call due sooner than its lead", async () => {
    await registerAcme();
    await staff("paris", "ana", { appliance_repair: 5 });
    const { body: soon } = await requestCallback({ media: ["voice", "sms"] });
    const { body: far } = await requestCallback({ when: window(120, 180), media: ["voice", "sms"] });
    await runAt(T0 + 90 * MIN);
    expect(await kinds(soon.confirmation)).toEqual(["confirmation:sms"]);
    expect(await kinds(far.confirmation)).toEqual(["confirmation:sms", "reminder:sms"]);
  });

  it("is not sent, nor the confirmation, when the provider turns them off", async () => {
    const quiet = await planned({}, { notices: { confirmation: false, reminderMinutes: 0 } });
    await runAt((await scheduledFor(quiet.confirmation)) - 30 * MIN);
    expect(await messages(quiet.confirmation)).toEqual([]);
  });
});
