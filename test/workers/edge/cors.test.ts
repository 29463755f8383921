/**
 * A provider's own pages call the edge's customer routes from the origins it
 * registered, and from no other; staff routes cannot be called from a page elsewhere.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { edge } from "./contract.ts";
import { ACME, ADMIN, registerAcme } from "./helpers.ts";

const ACME_PAGES = "https://www.acme.example";

const preflight = (path: string, origin: string, method = "POST", headers = "content-type") =>
  SELF.fetch(`https://edge.test${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
  });

describe("CORS for a provider's pages", () => {
  it("answers preflights for the origins providers registered, and lets their pages read the answers", async () => {
    await registerAcme({ allowedOrigins: [ACME_PAGES, "http://localhost:5173"] });
    const ok = await preflight("/v1/interactions", ACME_PAGES, "POST", "content-type");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe(ACME_PAGES);
    expect(ok.headers.get("access-control-allow-methods")).toContain("POST");
    expect(ok.headers.get("access-control-allow-headers")).toMatch(/idempotency-key/);
    expect(ok.headers.get("access-control-allow-credentials")).toBeNull();
    // The customer routes only, with the headers they read: a page elsewhere cannot send a staff token.
    const staff = await preflight("/v1/callbacks/AAAA-BBBB-CCCC/annotations", ACME_PAGES, "POST", "authorization,content-type");
    expect(staff.headers.get("access-control-allow-headers") ?? "").not.toMatch(/authorization/i);

    // The real request from there: its answer carries the origin, so the page may read it.
    const offer = await SELF.fetch("https://edge.test/v1/interactions", {
      method: "POST",
      headers: { origin: ACME_PAGES, "content-type": "application/json" },
      body: JSON.stringify({ providerId: "acme", user: { id: "web-customer" } }),
    });
    expect(offer.status).toBe(200);
    expect(offer.headers.get("access-control-allow-origin")).toBe(ACME_PAGES);
    expect(offer.headers.get("vary")).toMatch(/origin/i);
  });

  it("allows no other origin, and forgets one the provider takes off its registration", async () => {
    await registerAcme({ allowedOrigins: [ACME_PAGES] });
    for (const origin of ["https://evil.example", "https://www.acme.example.evil.example", "http://www.acme.example"]) {
      const refused = await preflight("/v1/interactions", origin);
      expect(refused.headers.get("access-control-allow-origin"), origin).toBeNull();
    }
    await registerAcme({ allowedOrigins: [] });
    expect((await preflight("/v1/interactions", ACME_PAGES)).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("takes origins as scheme, host and port only: https, or http on localhost", async () => {
    for (const bad of ["https://www.acme.example/widget", "http://www.acme.example", "ftp://www.acme.example", "www.acme.example"]) {
      const res = await edge("POST", "/v1/providers", { ...ACME, allowedOrigins: [bad] }, ADMIN);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.details.fields[0].path).toBe("body.allowedOrigins.0");
    }
    // Nor is a webhook that is no URL a fault of ours (its check once read it as one anyway).
    const webhook = await edge("POST", "/v1/providers", { ...ACME, webhook: { url: "not a url", secret: "a-webhook-secret-of-16+" } }, ADMIN);
    expect(webhook.status).toBe(400);
    const fine = await edge("POST", "/v1/providers", { ...ACME, allowedOrigins: ["https://www.acme.example/", "http://127.0.0.1:8080"] }, ADMIN);
    expect(fine.status).toBe(201);
    expect(fine.body.allowedOrigins).toEqual(["https://www.acme.example", "http://127.0.0.1:8080"]);
  });
});
