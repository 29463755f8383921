import { describe, expect, it } from "vitest";
import { callForm, callOutcome, messageForm, messageOutcome } from "../../objects/media-server/carrier-calls.ts";
import { carrierConfigSchema } from "../../objects/media-server/carrier-config.ts";
import type { DialRequest } from "../../objects/callback-cloud/media-server.ts";

const config = carrierConfigSchema.parse({ api: "twilio", accountSid: "AC0123456789abcdef0123456789abcdef", authToken: "0123456789abcdef0123" });
const dial: DialRequest = {
  idempotencyKey: "cb-1:1",
  confirmation: "A1B2-C3D4",
  attempt: 1,
  channel: "voice",
  to: "+15125550142",
  from: "+15125550100",
  agent: { siteId: "austin", agentId: "ag_7" },
};
const statusUrl = (leg: string) => `https://edge.example/v1/carrier/acme/status?key=cb-1%3A1&leg=${leg}`;
const get = (form: [string, string][], name: string) => form.filter(([k]) => k === name).map(([, v]) => v);

describe("a call's form", () => {
  it("customer-first: calls the customer, detects machines, and bridges the agent's client", () => {
    const form = callForm(config, dial, statusUrl, "Acme & Sons");
    expect(get(form, "To")).toEqual(["+15125550142"]);
    expect(get(form, "StatusCallback")).toEqual([statusUrl("customer")]);
    expect(get(form, "MachineDetection")).toEqual(["Enable"]);
    expect(get(form, "StatusCallbackEvent")).toEqual(["initiated", "ringing", "answered", "completed"]);
    // The provider's name is escaped in the TwiML.
    expect(get(form, "Twiml")[0]).toBe(
      '<Response><Say>Hello, this is Acme &#38; Sons returning your call. Please hold while we connect you.</Say><Dial callerId="+15125550100"><Client>austin-ag_7</Client></Dial></Response>',
    );
  });

  it("agent-first: calls the agent's SIP address, and the customer's leg reports to its own URL", () => {
    const sip = carrierConfigSchema.parse({ ...config, dialing: "agent-first", agentAddress: "sip:{agentId}@{siteId}.pbx.example" });
    const form = callForm(sip, dial, statusUrl, "Acme");
    expect(get(form, "To")).toEqual(["sip:ag_7@austin.pbx.example"]);
    expect(get(form, "StatusCallback")).toEqual([statusUrl("agent")]);
    expect(get(form, "Twiml")[0]).toContain(
      `<Number statusCallbackEvent="initiated ringing answered completed" statusCallback="https://edge.example/v1/carrier/acme/status?key=cb-1%3A1&#38;leg=customer">+15125550142</Number>`,
    );
  });

  it("a text asks for its delivery report only when it decides an attempt", () => {
    expect(messageForm("+1512", "+1555", "hi")).toEqual([["To", "+1555"], ["From", "+1512"], ["Body", "hi"]]);
    expect(get(messageForm("+1512", "+1555", "hi", "https://s"), "StatusCallback")).toEqual(["https://s"]);
  });

  it("refuses an agent address template that is neither a client nor SIP, or names no agent", () => {
    expect(carrierConfigSchema.safeParse({ ...config, agentAddress: "+15125550100" }).success).toBe(false);
    expect(carrierConfigSchema.safeParse({ ...config, agentAddress: "client:desk" }).success).toBe(false);
  });
});

describe("what a status callback means", () => {
  it("on the customer's leg: answered by a person, a machine, busy, no answer, failed; nothing while it rings", () => {
    expect(callOutcome({ CallStatus: "ringing" }, "customer")).toBeNull();
    expect(callOutcome({ CallStatus: "in-progress", AnsweredBy: "human" }, "customer")).toBe("answered");
    expect(callOutcome({ CallStatus: "in-progress", AnsweredBy: "machine_end_beep" }, "customer")).toBe("voicemail");
    expect(callOutcome({ CallStatus: "busy" }, "customer")).toBe("busy");
    expect(callOutcome({ CallStatus: "no-answer" }, "customer")).toBe("no_answer");
    expect(callOutcome({ CallStatus: "canceled" }, "customer")).toBe("failed");
  });

  it("on the agent's leg: only a failure counts (the customer was never called)", () => {
    expect(callOutcome({ CallStatus: "in-progress" }, "agent")).toBeNull();
    expect(callOutcome({ CallStatus: "completed" }, "agent")).toBeNull();
    expect(callOutcome({ CallStatus: "no-answer" }, "agent")).toBe("failed");
  });

  it("a text: delivered, or not", () => {
    expect(messageOutcome({ MessageStatus: "sent" })).toBeNull();
    expect(messageOutcome({ MessageStatus: "delivered" })).toBe("answered");
    expect(messageOutcome({ SmsStatus: "undelivered" })).toBe("failed");
  });
});
