import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isWebhookSecret, newWebhookSecret, standardWebhookHeaders } from "../../objects/webhooks/standard-webhooks.ts";
import { INSTANTS } from "../constants.ts";

// The library checks the timestamp against its own clock: both stand at one instant.
const NOW = INSTANTS.chicagoWednesdayMorning;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("Standard Webhooks signing", () => {
  it("signs a delivery the specification's own library verifies", async () => {
    const secret = newWebhookSecret();
    expect(isWebhookSecret(secret)).toBe(true);
    const body = JSON.stringify({ type: "callback.scheduled", data: { confirmation: "000A-BCDE-FGHJ", note: "ünïcode ✓" } });
    const headers = await standardWebhookHeaders(secret, "msg_1", NOW, body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    // The library's own signature is ours, to the byte.
    expect(headers["webhook-signature"]).toBe(new Webhook(secret).sign("msg_1", new Date(NOW), body));
  });

  it("is refused by the library for another body, another secret, another id, or an old timestamp", async () => {
    const secret = newWebhookSecret();
    const body = '{"type":"callback.cancelled"}';
    const headers = await standardWebhookHeaders(secret, "msg_2", NOW, body);
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(secret).verify(body, { ...headers, "webhook-id": "msg_3" })).toThrow(WebhookVerificationError);
    const old = await standardWebhookHeaders(secret, "msg_2", NOW - 10 * 60_000, body);
    expect(() => new Webhook(secret).verify(body, old)).toThrow(WebhookVerificationError);
  });

  it("takes only secrets in the specification's form", () => {
    expect(isWebhookSecret("whsec_" + btoa("x".repeat(24)))).toBe(true);
    for (const bad of ["", "secret", "whsec_", "whsec_!!!", "whsec_" + btoa("short"), "whsec_" + btoa("x".repeat(65))]) expect(isWebhookSecret(bad), bad).toBe(false);
  });
});
