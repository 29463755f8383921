import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { carrierSignature, isCarrierSigned } from "../../objects/media-server/carrier-signature.ts";

const TOKEN = "12345678901234567890123456789012";
const URL_CALLED = "https://edge.example/v1/carrier/status?confirmation=000A-BCDE-FGHJ&attempt=1";
/** A call status callback as the carrier posts it (form fields). */
const PARAMS = { CallSid: "CA0123456789abcdef0123456789abcdef", CallStatus: "completed", AccountSid: "AC0123456789abcdef0123456789abcdef", To: "+15125550142", From: "+15125550100", CallDuration: "42" };

describe("the carrier's request signature", () => {
  it("is the one the carrier's own library computes and accepts", async () => {
    const ours = await carrierSignature(TOKEN, URL_CALLED, PARAMS);
    expect(ours).toBe(twilio.getExpectedTwilioSignature(TOKEN, URL_CALLED, PARAMS));
    expect(twilio.validateRequest(TOKEN, ours, URL_CALLED, PARAMS)).toBe(true);
  });

  it("accepts what the carrier signed, and nothing else", async () => {
    const signed = twilio.getExpectedTwilioSignature(TOKEN, URL_CALLED, PARAMS);
    expect(await isCarrierSigned(TOKEN, URL_CALLED, PARAMS, signed)).toBe(true);
    expect(await isCarrierSigned(TOKEN, URL_CALLED, { ...PARAMS, CallStatus: "busy" }, signed)).toBe(false);
    expect(await isCarrierSigned(TOKEN, URL_CALLED.replace("attempt=1", "attempt=2"), PARAMS, signed)).toBe(false);
    expect(await isCarrierSigned("another-token-another-token-1234", URL_CALLED, PARAMS, signed)).toBe(false);
    expect(await isCarrierSigned(TOKEN, URL_CALLED, PARAMS, null)).toBe(false);
    expect(await isCarrierSigned(TOKEN, URL_CALLED, PARAMS, "")).toBe(false);
    expect(await isCarrierSigned(TOKEN, URL_CALLED, PARAMS, "not base64!")).toBe(false);
    expect(await isCarrierSigned("", URL_CALLED, PARAMS, signed)).toBe(false);
  });
});
