/**
 * Anonymous intake's limits, as a hostile caller meets them: an offer token is good for
 * one callback (or the few its provider allows), and offers and requests are counted per
 * client address, per phone number and per provider, with 429 and Retry-After; a
 * provider may keep its dialing to some countries.
 */
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { edge, offer, requestOnly } from "./contract.ts";
import { ACME, ADMIN, MIN, registerAcme, ROOMY_LIMITS } from "./helpers.ts";

/** Every callback the provider holds, across its shards (the federated schema's list). */
const listed = async () => (await edge("POST", "/graphql", { query: "{ callbacks(first: 100) { nodes { confirmation } } }" }, ADMIN)).body.data.callbacks.nodes as unknown[];

/** An offer for one customer, asked from one address. */
const offerFrom = (address: string, userId = "user-1") =>
  edge("POST", "/v1/interactions", { providerId: "acme", user: { id: userId } }, null, { "cf-connecting-ip": address });

function expectRateLimited(answer: { status: number; body: any; headers: Headers }, limit: string) {
  expect(answer.status).toBe(429);
  expect(answer.body.error).toMatchObject({ code: "rate_limited", details: { limit } });
  const wait = Number(answer.headers.get("retry-after"));
  expect(Number.isInteger(wait) && wait >= 1).toBe(true);
  expect(wait).toBe(answer.body.error.details.retryAfterSeconds);
  return wait;
}

describe("an offer token", () => {
  it("is good for one callback: another request with it is refused and stores nothing, while a retry of the first is the first", async () => {
    await registerAcme({ limits: { ...ROOMY_LIMITS, callbacksPerOffer: undefined } });
    const indicia = (await offer()).body.token as string;
    const first = await requestOnly({ indicia }, "first-key");
    expect(first.status).toBe(201);
    // Another callback on the same offer, to another number: refused.
    const second = await requestOnly({ indicia, contact: { phone: "+15125550143" } }, "second-key");
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: "offer_used", details: { callbacksPerOffer: 1 } });
    // A retry of the first (same key, same body) is the same callback, not a second use.
    const retry = await requestOnly({ indicia }, "first-key");
    expect(retry.status).toBe(201);
    expect(retry.body.confirmation).toBe(first.body.confirmation);
    expect(await listed()).toHaveLength(1);
  });

  it("takes only as many callbacks as the provider allows, even when they come all at once", async () => {
    await registerAcme({ limits: { ...ROOMY_LIMITS, callbacksPerOffer: 3 } });
    const indicia = (await offer()).body.token as string;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => requestOnly({ indicia, contact: { phone: `+1512555${String(100 + i).padStart(4, "0")}` } }, `burst-${i}`)),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.error.code === "offer_used")).toBe(true);
    expect(await listed()).toHaveLength(3);
  });
});

describe("rates", () => {
  it("limits callbacks to one phone number across customers and shards, until the hour has passed", async () => {
    const clock = await registerAcme({ shards: 4, limits: { ...ROOMY_LIMITS, perPhonePerHour: 2 } });
    const ask = async (userId: string, key: string) => requestOnly({ indicia: (await offer(undefined, userId)).body.token }, `phone-key-${key}`);
    // Four customers, so several shards see the number: they share one count.
    expect((await ask("customer-a", "a")).status).toBe(201);
    expect((await ask("customer-b", "b")).status).toBe(201);
    const third = await ask("customer-c", "c");
    const wait = expectRateLimited(third, "phone/acme");
    expect(wait).toBeLessThanOrEqual(3600);
    expect((await ask("customer-d", "d")).status).toBe(429);
    expect(await listed()).toHaveLength(2);
    // Another number is not held back by this one.
    expect((await requestOnly({ indicia: (await offer(undefined, "customer-e")).body.token, contact: { phone: "+15125550143" } }, "phone-key-e")).status).toBe(201);
    await clock.advance(wait * 1000);
    expect((await ask("customer-f", "f")).status).toBe(201);
  });

  it("limits offers and requests per client address, and no other address pays for it", async () => {
    const clock = await registerAcme({ limits: { ...ROOMY_LIMITS, perAddressPerMinute: 3 } });
    for (let i = 0; i < 3; i++) expect((await offerFrom("203.0.113.7", `u${i}`)).status).toBe(200);
    const refused = await offerFrom("203.0.113.7", "u3");
    const wait = expectRateLimited(refused, "address/acme");
    expect(wait).toBeLessThanOrEqual(60);
    // The request of an offer it already had counts too.
    const indicia = (await offerFrom("198.51.100.9", "u4")).body.token;
    const request = await edge(
      "POST",
      "/v1/callbacks",
      { indicia, when: { asap: true }, media: ["voice"], contact: { phone: "+15125550142" }, reason: "my dryer is broken" },
      null,
      { "idempotency-key": "from-the-busy-address", "cf-connecting-ip": "203.0.113.7" },
    );
    expectRateLimited(request, "address/acme");
    expect((await offerFrom("198.51.100.9", "u5")).status).toBe(200);
    await clock.advance(60_000);
    expect((await offerFrom("203.0.113.7", "u6")).status).toBe(200);
  });

  it("counts an IPv6 client by its /64: new addresses in it do not buy more", async () => {
    await registerAcme({ limits: { ...ROOMY_LIMITS, perAddressPerMinute: 2 } });
    expect((await offerFrom("2001:db8:abcd:12::1", "v1")).status).toBe(200);
    expect((await offerFrom("2001:db8:abcd:12:ffff::2", "v2")).status).toBe(200);
    expectRateLimited(await offerFrom("2001:0db8:abcd:0012:1:2:3:4", "v3"), "address/acme");
    // The next /64 is another client.
    expect((await offerFrom("2001:db8:abcd:13::1", "v4")).status).toBe(200);
  });

  it("limits the provider's whole intake, whoever asks", async () => {
    const clock = await registerAcme({ limits: { ...ROOMY_LIMITS, perMinute: 5 } });
    for (let i = 0; i < 5; i++) expect((await offerFrom(`192.0.2.${i}`, `u${i}`)).status).toBe(200);
    expectRateLimited(await offerFrom("192.0.2.99", "u99"), "provider");
    await clock.advance(MIN);
    expect((await offerFrom("192.0.2.100", "u100")).status).toBe(200);
  });
});

describe("where a provider dials", () => {
  it("refuses a number outside the provider's countries with 422, and stores nothing", async () => {
    await registerAcme({ limits: { ...ROOMY_LIMITS, destinationCountries: ["US", "CA"] } });
    const abroad = await requestOnly({ contact: { phone: "+442079460958" } }, "key-abroad");
    expect(abroad.status).toBe(422);
    expect(abroad.body.error).toMatchObject({ code: "destination_not_allowed", details: { allowedCountries: ["US", "CA"] } });
    // A number that belongs to no country (international freephone) is not in any list either.
    expect((await requestOnly({ contact: { phone: "+80012345678" } }, "key-nowhere")).status).toBe(422);
    expect(await listed()).toHaveLength(0);
    expect((await requestOnly({}, "key-home")).status).toBe(201);
  });

  it("refuses a list that is not of countries", async () => {
    const bad = await edge("POST", "/v1/providers", { ...ACME, limits: { destinationCountries: ["usa"] } }, ADMIN);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields.map((f: { path: string }) => f.path)).toContain("body.limits.destinationCountries.0");
  });
});
