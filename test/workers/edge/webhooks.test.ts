/**
 * A provider's event webhooks: admin subscribes a receiver, the callback's lifecycle events
 * reach it signed as Standard Webhooks says (checked with the specification's own library),
 * in order, at least once: a receiver that is down gets them once it is back; ops see each
 * delivery and may send one again.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { CallbackShard } from "../../../objects/callback-cloud/callback-shard.ts";
import type { WebhookHandoff } from "../../../objects/callback-cloud/webhook-handoff.ts";
import { RETRY_DELAYS_MS } from "../../../objects/webhooks/delivery-plan.ts";
import { projectClock } from "../project-clock.ts";
// Answers checked against the OpenAPI document.
import { edge, requestCallback } from "./contract.ts";
import { ADMIN, cloud, edgeEnv, registerAcme, staff } from "./helpers.ts";

type Received = { url: string; refused?: boolean; headers: Record<string, string>; body: string };

/** What the receivers were sent, for one host. */
async function receivedAt(host: string): Promise<Received[]> {
  const calls = (await (await edgeEnv.TELEPHONY.fetch("https://telephony/_calls")).json()) as Received[];
  return calls.filter((c) => new URL(c.url).hostname === host);
}
const outbox = () => edgeEnv.WEBHOOKS.getByName("acme");
const deliver = () => runDurableObjectAlarm(outbox());

async function subscribe(url: string, events: string[]) {
  const res = await edge("POST", "/v1/providers/acme/subscriptions", { url, events }, ADMIN);
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; secret: string };
}

describe("event webhooks", () => {
  it("delivers a callback's events to a subscriber, signed, in order, each once", async () => {
    await registerAcme();
    await staff("paris", "ana", { appliance_repair: 5 });
    const sub = await subscribe("https://crm.acme.example/hooks", ["callback.requested", "callback.scheduled", "callback.cancelled"]);
    expect(sub.secret).toMatch(/^whsec_/);
    const { body } = await requestCallback();
    expect((await edge("DELETE", `/v1/callbacks/${body.confirmation}?verifier=${encodeURIComponent(body.verifier)}`)).status).toBe(200);

    expect(await deliver()).toBe(true);
    const got = await receivedAt("crm.acme.example");
    const verifier = new Webhook(sub.secret);
    // The library checks the timestamp against its own clock: it is given the project's.
    const payloads = got.map((g) => {
      expect(g.headers["webhook-timestamp"]).toBe(String(Math.floor(projectClock.now() / 1000)));
      return JSON.parse(g.body) as { type: string; data: { confirmation: string; status: string } };
    });
    expect(payloads.map((p) => p.type)).toEqual(["callback.requested", "callback.scheduled", "callback.cancelled"]);
    expect(payloads.every((p) => p.data.confirmation === body.confirmation)).toBe(true);
    expect(new Set(got.map((g) => g.headers["webhook-id"])).size).toBe(3);
    // Signed with the subscription's secret: the specification's library signs each the same.
    for (const g of got) expect(verifier.sign(g.headers["webhook-id"], new Date(Number(g.headers["webhook-timestamp"]) * 1000), g.body)).toBe(g.headers["webhook-signature"]);
    // Nothing leaks what the customer may not see.
    expect(got.map((g) => g.body).join()).not.toMatch(/paris|austin|manila|r_[0-9a-f]{20}/);

    const seen = (await edge("GET", "/v1/providers/acme/deliveries?status=delivered", undefined, ADMIN)).body.deliveries;
    expect(seen).toHaveLength(3);
    expect(seen.every((d: { attempts: number; lastStatus: number }) => d.attempts === 1 && d.lastStatus === 202)).toBe(true);
    // Nothing is left to send: the alarm is not armed again.
    expect(await deliver()).toBe(false);
  });

  it("keeps trying a receiver that is down, the callback's later events behind its first, and delivers all once it is back", async () => {
    await registerAcme();
    await staff("paris", "ana", { appliance_repair: 5 });
    await subscribe("https://flaky.crm.example/hooks", ["callback.requested", "callback.scheduled"]);
    await requestCallback();
    await deliver();
    let pending = (await edge("GET", "/v1/providers/acme/deliveries?status=pending", undefined, ADMIN)).body.deliveries;
    expect(pending).toHaveLength(2);
    const first = pending.find((d: { event: string }) => d.event === "callback.requested");
    expect(first).toMatchObject({ attempts: 1, lastStatus: 503, nextAttemptAt: new Date(projectClock.now() + RETRY_DELAYS_MS[0]).toISOString() });
    // The later event waited behind the first: never sent out of order.
    expect(pending.find((d: { event: string }) => d.event === "callback.scheduled").attempts).toBe(0);
    expect((await receivedAt("flaky.crm.example")).map((r) => JSON.parse(r.body).type)).toEqual(["callback.requested"]);

    // Down for a minute: each retry is refused, on the schedule.
    for (const wait of RETRY_DELAYS_MS.slice(0, 2)) {
      await projectClock.advance(wait);
      await deliver();
    }
    expect((await receivedAt("flaky.crm.example")).length).toBe(3);
    // Back: the next retry delivers both, in order.
    await edgeEnv.TELEPHONY.fetch("https://telephony/_heal?host=flaky.crm.example", { method: "POST" });
    await projectClock.advance(RETRY_DELAYS_MS[2]);
    await deliver();
    const healed = (await receivedAt("flaky.crm.example")).filter((r) => !r.refused).map((r) => JSON.parse(r.body).type);
    expect(healed).toEqual(["callback.requested", "callback.scheduled"]);
    pending = (await edge("GET", "/v1/providers/acme/deliveries?status=pending", undefined, ADMIN)).body.deliveries;
    expect(pending).toEqual([]);
  });

  it("lets ops send a delivery again, with the same webhook-id", async () => {
    await registerAcme();
    await staff("paris", "ana", { appliance_repair: 5 });
    const sub = await subscribe("https://crm.acme.example/again", ["callback.requested"]);
    await requestCallback();
    await deliver();
    const [delivered] = (await edge("GET", "/v1/providers/acme/deliveries", undefined, ADMIN)).body.deliveries;
    const ops = (await edge("POST", "/v1/tokens", { role: "ops", name: "olga" }, ADMIN)).body.token;
    const again = await edge("POST", `/v1/providers/acme/deliveries/${delivered.messageId}/redeliver`, { subscriptionId: sub.id }, ops);
    expect(again.status).toBe(200);
    await deliver();
    const ids = (await receivedAt("crm.acme.example")).filter((r) => r.url.endsWith("/again")).map((r) => r.headers["webhook-id"]);
    expect(ids).toEqual([delivered.messageId, delivered.messageId]);
    expect((await edge("POST", "/v1/providers/acme/deliveries/msg_nope/redeliver", { subscriptionId: sub.id }, ops)).status).toBe(404);
  });

  it("costs a provider without subscriptions nothing per event, and takes bad subscriptions with a 400 naming the field", async () => {
    await registerAcme();
    await staff("paris", "ana", { appliance_repair: 5 });
    // What a shard writes for the webhooks when an event happens, read before any hand-over.
    const writesAnEvent = () =>
      runInDurableObject(cloud(), (shard: CallbackShard) => {
        const inside = shard as unknown as { hooks: WebhookHandoff; sql: (s: TemplateStringsArray) => { toArray(): unknown[] } };
        inside.hooks.note(1_000_000, "cb_probe", "PROB-E000-0000", "pending", "received", 0, {});
        const rows = inside.sql`SELECT * FROM hook_outbox`.toArray().length;
        inside.sql`DELETE FROM hook_outbox`;
        return rows;
      });
    const sub = await subscribe("https://crm.acme.example/x", ["callback.requested"]);
    expect(await writesAnEvent()).toBe(1);
    expect((await edge("DELETE", `/v1/providers/acme/subscriptions/${sub.id}`, undefined, ADMIN)).status).toBe(200);
    // Told there is no subscription left, the shard writes nothing per event.
    expect(await writesAnEvent()).toBe(0);
    await requestCallback();
    expect(await deliver()).toBe(false);

    for (const [body, field] of [
      [{ url: "http://crm.acme.example/x", events: ["callback.requested"] }, "body.url"],
      [{ url: "https://crm.acme.example/x", events: [] }, "body.events"],
      [{ url: "https://crm.acme.example/x", events: ["callback.exploded"] }, "body.events.0"],
      [{ url: "https://crm.acme.example/x", events: ["callback.requested"], secret: "hunter2" }, "body.secret"],
    ] as const) {
      const res = await edge("POST", "/v1/providers/acme/subscriptions", body, ADMIN);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details.fields.map((f: { path: string }) => f.path)).toContain(field);
    }
    expect((await edge("POST", "/v1/providers/nobody/subscriptions", { url: "https://x.example/h", events: ["callback.requested"] }, ADMIN)).status).toBe(404);
  });
});
