/**
 * A client generated from the contract (openapi-typescript's types of the committed
 * document, openapi-fetch calling the edge in workerd) runs a whole callback: offer,
 * request, status, cancel. Every answer is also checked against the document.
 */
import { SELF } from "cloudflare:test";
import createClient from "openapi-fetch";
import { describe, expect, it } from "vitest";
import type { paths } from "../../../schema/openapi/edge";
import { edgeContract } from "./contract.ts";
import { planNow, registerAcme, staff, T0 } from "./helpers.ts";

const BASE = "https://edge.test";

/** The typed client, its requests served by the edge under test. */
const client = createClient<paths>({ baseUrl: BASE, fetch: (request) => SELF.fetch(request) });

/** Checks an openapi-fetch result against the document, then hands its data on. */
function conforming<T>(method: string, path: string, result: { data?: T; error?: unknown; response: Response }): T {
  edgeContract.assert(method, path, { status: result.response.status, headers: result.response.headers, body: result.data ?? result.error ?? null });
  if (result.data === undefined) throw new Error(`${method} ${path}: ${result.response.status} ${JSON.stringify(result.error)}`);
  return result.data;
}

describe("a client generated from the OpenAPI document", () => {
  it("runs a full callback: offer, request, status, cancel", async () => {
    await registerAcme();
    await staff("austin", "ana", { appliance_repair: 4 });

    const offer = conforming(
      "POST",
      "/v1/interactions",
      await client.POST("/v1/interactions", { body: { providerId: "acme", user: { id: "u1" }, context: { reason: "my dryer makes a loud banging noise" } } }),
    );
    expect(offer.callbackUrl).toBe(`${BASE}/v1/callbacks`);
    expect(offer.slots.length).toBeGreaterThan(0);
    expect(offer.estimatedWaitSeconds).toBe(0);

    const requested = conforming(
      "POST",
      "/v1/callbacks",
      await client.POST("/v1/callbacks", {
        params: { header: { "idempotency-key": "client-test-0001" } },
        body: { indicia: offer.token, when: { asap: true }, media: ["voice"], contact: { phone: "+15125550142" }, reason: "my dryer makes a loud banging noise" },
      }),
    );
    const { confirmation, verifier } = requested;
    // Answered once durable, before any agent is reserved, with the mesh view's estimate; the plan follows at once.
    expect(requested.status).toBe("pending");
    expect(requested.scheduledFor).toBe(new Date(T0).toISOString());
    await planNow();
    const query = `?verifier=${encodeURIComponent(verifier)}`;
    expect(requested.statusUrl).toBe(`${BASE}/v1/callbacks/${confirmation}${query}`);
    expect(requested.eventsUrl).toBe(`${BASE}/v1/callbacks/${confirmation}/events${query}`);

    const seen = conforming(
      "GET",
      `/v1/callbacks/${confirmation}`,
      await client.GET("/v1/callbacks/{confirmation}", { params: { path: { confirmation }, query: { verifier } } }),
    );
    expect(seen).toMatchObject({ confirmation, status: "scheduled", channel: "voice", intent: requested.intent });
    expect(seen.history.map((e) => e.type)).toContain("scheduled");
    // A customer sees no agent, contact or reason.
    expect(seen).not.toHaveProperty("agent");
    expect(seen).not.toHaveProperty("contact");

    // The link in the answer works as given.
    const followed = await SELF.fetch(requested.statusUrl);
    expect(followed.status).toBe(200);
    expect(((await followed.json()) as { confirmation: string }).confirmation).toBe(confirmation);

    const cancelled = conforming(
      "DELETE",
      `/v1/callbacks/${confirmation}`,
      await client.DELETE("/v1/callbacks/{confirmation}", { params: { path: { confirmation }, query: { verifier } } }),
    );
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.history.at(-1)?.type).toBe("cancelled");

    // The events link too: a final callback's stream holds its whole history, then ends.
    const events = await SELF.fetch(requested.eventsUrl);
    expect(events.status).toBe(200);
    edgeContract.assert("GET", `/v1/callbacks/${confirmation}/events`, { status: events.status, headers: events.headers, body: null });
    const text = await events.text();
    expect(text).toContain("event: received");
    expect(text.trimEnd().split("\n\n").at(-1)).toMatch(/^id: \d+\nevent: cancelled\ndata: /);

    // Refusals are typed too: a wrong verifier looks like an unknown confirmation.
    const wrong = await client.GET("/v1/callbacks/{confirmation}", { params: { path: { confirmation }, query: { verifier: "nope" } } });
    edgeContract.assert("GET", `/v1/callbacks/${confirmation}`, { status: wrong.response.status, headers: wrong.response.headers, body: wrong.error });
    expect(wrong.response.status).toBe(404);
    expect(wrong.error?.error.code).toBe("callback_not_found");
  });
});
