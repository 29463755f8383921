import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { signIndicia } from "../../../workers/edge/indicia.ts";
// Answers checked against the OpenAPI document.
import { edge, offer, requestCallback, requestOnly, site, status } from "./contract.ts";
import { ACME, ADMIN, EDGE_SECRET, planNow, registerAcme, staff, T0 } from "./helpers.ts";

const MIN = 60_000;
const at = (ms: number) => new Date(ms).toISOString();

describe("providers", () => {
  it("registers with admin only, updates in place, and never shows the webhook secret", async () => {
    expect((await edge("POST", "/v1/providers", ACME)).status).toBe(401);
    const first = await edge("POST", "/v1/providers", { ...ACME, webhook: { url: "https://pbx.acme.example/dial", secret: "s3cret-s3cret-s3cret" } }, ADMIN);
    expect(first.status).toBe(201);
    // Updated in place: the same id, the new name and no webhook (the second registration has none).
    const second = await edge("POST", "/v1/providers", { ...ACME, name: "Acme Appliances (renamed)" }, ADMIN);
    expect(second.status).toBe(200);
    const shown = await edge("GET", "/v1/providers/acme");
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id: "acme", name: "Acme Appliances (renamed)" });
    expect(shown.body.webhook).toBeUndefined();
    expect(shown.body.intents).toHaveLength(8);
    expect(shown.text).not.toContain("s3cret");
    expect((await edge("GET", "/v1/providers/globex")).status).toBe(404);
  });

  it("refuses a bad registration naming the field, and keeps nothing of it", async () => {
    const cases: [unknown, string][] = [
      [{ ...ACME, timezone: "America/Gotham" }, "body.timezone"],
      [{ ...ACME, rules: { ...ACME.rules, businessHours: { mon: [["8:00", "20:00"]] } } }, "body.rules.businessHours.mon.0.0"],
      [{ ...ACME, channels: [{ type: "voice", endpoint: "5125550100" }] }, "body.channels.0.endpoint"],
      [{ ...ACME, channels: [...ACME.channels, { type: "pigeon", endpoint: "roof" }] }, "body.channels.3.type"],
    ];
    for (const [body, field] of cases) {
      const res = await edge("POST", "/v1/providers", body, ADMIN);
      expect(res.status, field).toBe(400);
      expect(res.body.error.details.fields.map((f: any) => f.path), field).toContain(field);
    }
    expect((await edge("GET", "/v1/providers/acme")).status).toBe(404);
  });

  it("lets ops try the intents", async () => {
    await registerAcme();
    const ops = (await edge("POST", "/v1/tokens", { role: "ops", name: "lead" }, ADMIN)).body.token;
    const res = await edge("POST", "/v1/providers/acme/intents/analyze", { text: "I was charged twice this month" }, ops);
    expect(res.status).toBe(200);
    expect(res.body.intent.name).toBe("billing");
    expect(res.body.skills).toEqual({ billing: 2 });
    expect((await edge("POST", "/v1/providers/acme/intents/analyze", { text: "" }, ops)).status).toBe(400);
    expect((await edge("POST", "/v1/providers/acme/intents/analyze", { text: "x".repeat(5000) }, ops)).status).toBe(400);
    expect((await edge("POST", "/v1/providers/acme/intents/analyze", { text: "hello" })).status).toBe(401);
  });
});

describe("offers", () => {
  it("offers slots inside the rules that the provider's sites can serve", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const res = await offer("the fridge is not cooling anymore");
    expect(res.status).toBe(200);
    expect(res.body.channels).toEqual(["voice", "sms", "email"]);
    expect(res.body.slots[0]).toEqual({ start: at(T0), end: at(T0 + 15 * MIN), capacity: 1 });
    // Acme closes at 20:00 Chicago (02:00Z): no slot after it.
    expect(res.body.slots.every((s: any) => Date.parse(s.end) <= Date.parse("2030-01-10T02:00:00Z"))).toBe(true);
    expect(res.body.estimatedWaitSeconds).toBe(0);
    expect(res.body.callbackUrl).toBe("https://edge.test/v1/callbacks");
    expect(Date.parse(res.body.expiresAt)).toBeGreaterThan(T0);
  });

  it("without a reason, offers what any agent of the provider's intents can take", async () => {
    await registerAcme();
    await staff("manila", "ana", { appliance_repair: 4 });
    await staff("paris", "bo", { billing: 2, appliance_repair: 2 });
    const res = await offer();
    expect(res.body.slots[0].capacity).toBe(2);
  });

  it("offers no slot when nobody can take the work", async () => {
    await registerAcme();
    const res = await offer("the fridge is not cooling anymore");
    expect(res.body.slots).toEqual([]);
    expect(res.body.estimatedWaitSeconds).toBeNull();
  });

  it("at night says why the wait is long: closed until the next opening, in words", async () => {
    const clock = await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    expect((await offer()).body).toMatchObject({ openNow: true });
    expect((await offer()).body).not.toHaveProperty("notice");
    await clock.set(Date.parse("2030-01-10T04:00:00Z")); // Wednesday 22:00 in Chicago
    const night = await offer("the fridge is not cooling anymore");
    expect(night.body).toMatchObject({
      openNow: false,
      opensAt: "2030-01-10T14:00:00.000Z",
      notice: "Closed now, until Thursday 10 January 2030, 08:00 CST (hours: Mon–Fri 08:00–20:00, Sat 09:00–13:00, America/Chicago).",
    });
    expect(night.body.estimatedWaitSeconds).toBe(10 * 3600);
    // Asked for anyway, asap: accepted for the opening, and the customer's history says why.
    const asked = await requestCallback({ indicia: night.body.token });
    expect(asked.status).toBe(201);
    expect(asked.body.scheduledFor).toBe("2030-01-10T14:00:00.000Z");
    expect(asked.body.notice).toBe(night.body.notice);
    const seen = await status(asked.body.confirmation, asked.body.verifier);
    expect(seen.body.history.find((e: any) => e.type === "received").detail.notice).toMatch(/^Closed now, until Thursday 10 January 2030, 08:00 CST/);
  });

  it("refuses an unknown provider and a malformed request", async () => {
    expect((await edge("POST", "/v1/interactions", { providerId: "nobody", user: { id: "u" } })).status).toBe(404);
    const bad = await edge("POST", "/v1/interactions", { providerId: "acme", user: { id: "u", phone: "555-0100" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields[0].path).toBe("body.user.phone");
  });
});

describe("callback requests", () => {
  it("answers the same callback for the same key and body, and 409 for another body", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const indicia = (await offer()).body.token;
    const first = await requestCallback({ indicia }, "same-key-123");
    const again = await requestCallback({ indicia }, "same-key-123");
    expect(again.status).toBe(201);
    expect(again.body.confirmation).toBe(first.body.confirmation);
    expect(again.body.verifier).toBe(first.body.verifier);
    const other = await requestCallback({ indicia, reason: "billing question" }, "same-key-123");
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe("idempotency_key_reused");
  });

  it("sent ten times at once with one key, makes one callback and holds one agent", async () => {
    await registerAcme();
    const ref = await staff("austin", "ana", { appliance_repair: 4 });
    const indicia = (await offer()).body.token;
    const answers = await Promise.all(Array.from({ length: 10 }, () => requestOnly({ indicia }, "concurrent-key-1")));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((a) => a.body.confirmation)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body.verifier)).size).toBe(1);
    await planNow();
    // One callback in the provider's list, one reservation at the agent's site.
    const listed = await edge("POST", "/graphql/cloud", { query: "{ callbacks(first: 100) { nodes { confirmation } } }" }, ADMIN, { accept: "application/graphql-response+json" });
    expect(listed.body.data.callbacks.nodes).toEqual([{ confirmation: answers[0]!.body.confirmation }]);
    const held = await site("austin", "GET", `/v1/agents/ana`);
    expect(held.body.ref).toBe(ref);
    const reservations = await site("austin", "POST", "/graphql", { query: "{ site { reservations(status: HELD) { callbackId agentId } } }" });
    expect(reservations.body.data.site.reservations).toHaveLength(1);
  });

  it("keeps each customer's Idempotency-Keys to that customer: another's same key is a new callback, and learns nothing", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const indicia = (await offer(undefined, "customer-a")).body.token;
    const mine = await requestCallback({ indicia }, "shared-key-1");
    expect(mine.status).toBe(201);
    const theirs = await requestCallback({ indicia: (await offer(undefined, "customer-b")).body.token, reason: "billing question" }, "shared-key-1");
    expect(theirs.status).toBe(201);
    expect(theirs.body.confirmation).not.toBe(mine.body.confirmation);
    expect(theirs.text).not.toContain(mine.body.confirmation);
    // The same customer and key still answer the first callback.
    const again = await requestCallback({ indicia }, "shared-key-1");
    expect(again.status === 201 && again.body.confirmation === mine.body.confirmation).toBe(true);
  });

  it("refuses tampered, expired and foreign indicia with 401", async () => {
    await registerAcme();
    const good = (await offer()).body.token as string;
    const [h, p, s] = good.split(".");
    const payload = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
    const forgedPayload = btoa(JSON.stringify({ ...payload, pid: "globex" })).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const expired = (await signIndicia(EDGE_SECRET, { providerId: "acme", userId: "u", shards: 1 }, T0 - 3600_000, {})).token;
    const foreign = await new SignJWT({ pid: "acme" })
      .setProtectedHeader({ alg: "HS256", typ: "indicia+jwt" })
      .setIssuer("edge")
      .setAudience("indicia")
      .setSubject("u")
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 600)
      .sign(new TextEncoder().encode("somebody-elses-secret-somebody-elses"));
    for (const indicia of [`${h}.${forgedPayload}.${s}`, expired, foreign, `${good.slice(0, -4)}AAAA`]) {
      const res = await requestCallback({ indicia });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("invalid_indicia");
    }
  });

  it("checks the window against the rules: 422 with the reason", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const closed = await requestCallback({ when: { start: "2030-01-10T04:00:00Z", end: "2030-01-10T05:00:00Z" } }); // 22:00 Chicago
    expect(closed.status).toBe(422);
    expect(closed.body.error.code).toBe("window_closed");
    expect(closed.body.error.details.earliestPossible).toBe("2030-01-10T14:00:00.000Z");
    expect(closed.body.error.message).toBe(
      "We are closed at that time (hours: Mon–Fri 08:00–20:00, Sat 09:00–13:00, America/Chicago). The earliest possible time is Thursday 10 January 2030, 08:00 CST.",
    );
    const tooFar = await requestCallback({ when: { start: "2030-12-24T16:00:00Z", end: "2030-12-24T17:00:00Z" } });
    expect(tooFar.status).toBe(422);
    expect(tooFar.body.error.code).toBe("window_too_far");
    await registerAcme({ rules: { ...ACME.rules, holidays: ["2030-01-10"] } });
    const holiday = await requestCallback({ when: { start: "2030-01-10T16:00:00Z", end: "2030-01-10T17:00:00Z" } });
    expect(holiday.status).toBe(422);
    expect(holiday.body.error.code).toBe("window_holiday");
    const video = await requestCallback({ media: ["video"] });
    expect(video.status).toBe(422);
    expect(video.body.error.code).toBe("media_not_allowed");
  });

  it("answers malformed requests with 400 naming the field, and keeps nothing", async () => {
    await registerAcme();
    const indicia = (await offer()).body.token;
    const cases: [Record<string, unknown>, string][] = [
      [{ media: ["fax"] }, "body.media.0"],
      [{ contact: { phone: "+1555" } }, "body.contact.phone"],
      [{ contact: {} }, "body.contact"],
      [{ media: ["email"], contact: { phone: "+15125550142" } }, "body.media.0"],
      [{ reason: "" }, "body.reason"],
      [{ when: { start: "tomorrow", end: "later" } }, "body.when"],
      [{ language: "English" }, "body.language"],
    ];
    for (const [over, field] of cases) {
      const res = await requestCallback({ indicia, ...over });
      expect(res.status, field).toBe(400);
      expect(res.body.error.details.fields.map((f: any) => f.path).some((p: string) => p.startsWith(field)), field).toBe(true);
    }
    const noKey = await edge("POST", "/v1/callbacks", { indicia, when: { asap: true }, media: ["voice"], contact: { phone: "+15125550142" }, reason: "x" });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.details.fields[0].path).toBe("header.idempotency-key");
    const listed = await edge("GET", "/v1/callbacks/0000-0000-0000", undefined, ADMIN);
    expect(listed.status).toBe(404);
  });

  it("answers a wrong verifier exactly as an unknown confirmation", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    const wrong = await status(body.confirmation, "not-the-verifier");
    const unknown = await status("ZZZZ-ZZZZ-ZZZZ", "not-the-verifier");
    const missing = await status(body.confirmation);
    expect(wrong.status).toBe(404);
    expect(wrong.text).toBe(unknown.text);
    expect(missing.text).toBe(unknown.text);
    // Read back forgivingly: lower case, no dashes.
    expect((await status(body.confirmation.toLowerCase().replace(/-/g, ""), body.verifier)).status).toBe(200);
  });
});

describe("offers and expected load", () => {
  it("counts callbacks already waiting for the skill against the first free capacity", async () => {
    const clock = await registerAcme();
    // Nobody repairs yet: two callbacks wait.
    await requestCallback();
    await requestCallback();
    // Three repairers log in; offers see them once the cloud's view of the mesh is renewed.
    await staff("austin", "ana", { appliance_repair: 4 });
    await staff("austin", "bo", { appliance_repair: 3 });
    await staff("paris", "cy", { appliance_repair: 2 });
    await clock.advance(2_000);
    const res = await offer("the fridge is not cooling anymore");
    expect(res.body.slots[0].capacity).toBe(1);
    expect(res.body.slots[1].capacity).toBe(3);
  });
});
