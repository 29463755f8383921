/**
 * The directory at the edge: a provider's registration lists it (or not), search finds
 * it by what the customer says, and the answer says where to ask for an offer.
 */
import { describe, expect, it } from "vitest";
import northstar from "../../../examples/providers/northstar.json" with { type: "json" };
// Answers checked against the OpenAPI document.
import { edge } from "./contract.ts";
import { ACME, ADMIN, registerAcme, ROOMY_LIMITS } from "./helpers.ts";
import { SEARCHES_PER_MINUTE } from "../../../workers/edge/routes/directory.ts";

const search = (q: string, extra = "", address = "198.51.100.7") =>
  edge("GET", `/v1/directory?q=${encodeURIComponent(q)}${extra}`, undefined, null, { "cf-connecting-ip": address });

async function register(body: Record<string, unknown>): Promise<void> {
  const res = await edge("POST", "/v1/providers", { limits: ROOMY_LIMITS, ...body }, ADMIN);
  expect([200, 201], res.text).toContain(res.status);
}

describe("the directory", () => {
  it("finds the provider a customer's problem belongs to, and the offer it leads to works", async () => {
    await registerAcme({ directory: { description: "Washers, dryers and fridges, repaired at home", keywords: ["appliances"] } });
    await register({ ...northstar, directory: { listed: false } });
    const found = await search("my washer stopped spinning");
    expect(found.status).toBe(200);
    expect(found.body.results).toEqual([
      { providerId: "acme", name: ACME.name, intents: expect.arrayContaining(["repair"]), score: expect.any(Number), offerUrl: "https://edge.test/v1/interactions" },
    ]);
    expect(found.body.results[0].intents[0]).toBe("repair");
    // What the hit says is enough to ask for an offer.
    const offered = await edge("POST", found.body.results[0].offerUrl.replace("https://edge.test", ""), { providerId: found.body.results[0].providerId, user: { id: "searcher" } });
    expect(offered.status).toBe(200);
    expect(offered.body.token).toEqual(expect.any(String));
  });

  it("follows each registration: a provider that stops listing itself is no longer found, and found again when it lists", async () => {
    await registerAcme();
    expect((await search("acme")).body.results.map((r: { providerId: string }) => r.providerId)).toEqual(["acme"]);
    await registerAcme({ directory: { listed: false } });
    expect((await search("acme")).body.results).toEqual([]);
    await registerAcme({ name: "Acme Laundry Care", directory: { listed: true, keywords: ["laundromat"] } });
    const back = (await search("laundromat")).body.results;
    expect(back).toEqual([expect.objectContaining({ providerId: "acme", name: "Acme Laundry Care" })]);
  });

  it("refuses bad searches with a 400 that names the field, and nothing is searched", async () => {
    for (const [path, field] of [
      ["/v1/directory", "query.q"],
      ["/v1/directory?q=", "query.q"],
      [`/v1/directory?q=${"a".repeat(201)}`, "query.q"],
      ["/v1/directory?q=repair&limit=21", "query.limit"],
      ["/v1/directory?q=repair&limit=two", "query.limit"],
    ] as const) {
      const res = await edge("GET", path);
      expect(res.status, path).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(res.body.error.details.fields.map((f: { path: string }) => f.path)).toContain(field);
    }
  });

  it(`answers one address ${SEARCHES_PER_MINUTE} searches a minute, then 429 with Retry-After; another address is not held back`, async () => {
    await registerAcme();
    for (let i = 0; i < SEARCHES_PER_MINUTE; i++) expect((await search("repair")).status).toBe(200);
    const refused = await search("repair");
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: "rate_limited", details: { limit: "directory", max: SEARCHES_PER_MINUTE } });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await search("repair", "", "203.0.113.9")).status).toBe(200);
  });
});
