import { describe, expect, it } from "vitest";
import { callTime, DEFAULT_NOTICES, manageLink, noticeAddress, noticeText, reminderDue } from "../../objects/callback-cloud/notice-plan.ts";
import { INSTANTS } from "../constants.ts";

const PHONE = "+15125550142";
const EMAIL = "pat@example.com";
const ALL = ["voice", "sms", "email"] as const;

describe("where a customer's messages go", () => {
  it("follows the customer's own choice, when the provider has that channel", () => {
    expect(noticeAddress({ notify: "email", media: ["voice", "sms"], contact: { phone: PHONE, email: EMAIL }, providerChannels: ALL })).toEqual({ channel: "email", to: EMAIL });
    expect(noticeAddress({ notify: "sms", media: ["voice"], contact: { phone: PHONE }, providerChannels: ["voice"] })).toBeNull();
    expect(noticeAddress({ notify: "none", media: ["sms"], contact: { phone: PHONE }, providerChannels: ALL })).toBeNull();
  });

  it("else takes the first text channel the customer asked to be reached on, then email, then SMS", () => {
    expect(noticeAddress({ notify: null, media: ["voice", "email", "sms"], contact: { phone: PHONE, email: EMAIL }, providerChannels: ALL })).toEqual({ channel: "email", to: EMAIL });
    expect(noticeAddress({ notify: null, media: ["voice", "sms"], contact: { phone: PHONE, email: EMAIL }, providerChannels: ALL })).toEqual({ channel: "sms", to: PHONE });
    expect(noticeAddress({ notify: null, media: ["voice"], contact: { phone: PHONE, email: EMAIL }, providerChannels: ALL })).toEqual({ channel: "email", to: EMAIL });
    expect(noticeAddress({ notify: null, media: ["voice"], contact: { phone: PHONE }, providerChannels: ALL })).toEqual({ channel: "sms", to: PHONE });
    // A provider that only calls sends nothing.
    expect(noticeAddress({ notify: null, media: ["voice"], contact: { phone: PHONE }, providerChannels: ["voice"] })).toBeNull();
  });
});

describe("when the reminder is due", () => {
  const at = INSTANTS.chicagoWednesdayMorning;
  const base = { settings: DEFAULT_NOTICES, status: "scheduled" as const, channel: "voice" as const, scheduledForMs: at, nowMs: at - 3 * 3_600_000 };

  it("is the lead before the call", () => {
    expect(reminderDue(base)).toBe(at - 3_600_000);
    expect(reminderDue({ ...base, settings: { confirmation: true, reminderMinutes: 15 } })).toBe(at - 15 * 60_000);
  });

  it("is never, for a call sooner than its lead, a text, one not planned at a time, or reminders turned off", () => {
    expect(reminderDue({ ...base, nowMs: at - 3_600_000 })).toBeNull();
    expect(reminderDue({ ...base, channel: "sms" })).toBeNull();
    expect(reminderDue({ ...base, status: "pending", scheduledForMs: null })).toBeNull();
    expect(reminderDue({ ...base, status: "dialing" })).toBeNull();
    expect(reminderDue({ ...base, settings: { confirmation: true, reminderMinutes: 0 } })).toBeNull();
  });
});

describe("what a message says", () => {
  it("gives the time as the provider's customers read their clocks, zone named", () => {
    // 10:00 in Chicago on a Wednesday in standard time.
    expect(callTime(INSTANTS.chicagoWednesdayMorning, "America/Chicago")).toMatch(/^at 10:00 on Wed \d{1,2} \w{3} \(CST\)$/);
    expect(callTime(INSTANTS.chicagoWednesdayMorning, "Europe/Paris")).toMatch(/^at 17:00 on Wed \d{1,2} \w{3} \(GMT\+1\)$/);
  });

  it("carries the reference and the link, and promises no time while nobody is planned", () => {
    const link = manageLink("https://edge.example/", "acme", "A1B2-C3D4", "v/+=");
    expect(link).toBe("https://edge.example/callback?provider=acme#confirmation=A1B2-C3D4&verifier=v%2F%2B%3D");
    const waiting = noticeText({ kind: "confirmation", providerName: "Acme", confirmation: "A1B2-C3D4", scheduledForMs: null, timeZone: "America/Chicago", link });
    expect(waiting).toBe(`Acme: we have your request and will call you as soon as someone is free (ref A1B2-C3D4). To see, move or cancel it: ${link}`);
    const reminder = noticeText({ kind: "reminder", providerName: "Acme", confirmation: "A1B2-C3D4", scheduledForMs: INSTANTS.chicagoWednesdayMorning, timeZone: "America/Chicago", link });
    expect(reminder).toMatch(/^Acme: a reminder, we will call you at 10:00 on Wed .+ \(ref A1B2-C3D4\)\. To see, move or cancel it: https:/);
  });
});
