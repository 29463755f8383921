import { describe, expect, it } from "vitest";
import acme from "../../examples/providers/acme.json" with { type: "json" };
import { e164, providerRegistration, publicProvider } from "../../objects/callback-cloud/provider.ts";

type Registration = typeof acme & { webhook?: { url: string; secret: string } };

/** A copy of the fixture, changed by `edit`. */
function variant(edit: (p: Registration) => void): unknown {
  const p = structuredClone(acme) as Registration;
  edit(p);
  return p;
}

/** The dotted paths of every issue (empty when the registration is valid). */
function issuePaths(input: unknown): string[] {
  const result = providerRegistration.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => i.path.join("."));
}

function issueAt(input: unknown, path: string): string | undefined {
  const result = providerRegistration.safeParse(input);
  return result.success ? undefined : result.error.issues.find((i) => i.path.join(".") === path)?.message;
}

describe("provider registration", () => {
  it("parses the acme fixture unchanged", () => {
    const parsed = providerRegistration.parse(acme);
    expect(parsed).toEqual(acme);
    expect(parsed.rules.retryBackoffMinutes).toEqual([5, 15]);
    expect(parsed.intents.map((i) => i.name)).toContain("repair");
  });

  it("keeps the webhook's url but never its secret in the public view", () => {
    const parsed = providerRegistration.parse(
      variant((p) => (p.webhook = { url: "https://telephony.acme.example/dial", secret: "s3cret-s3cret-s3cret" })),
    );
    expect(parsed.webhook?.secret).toBe("s3cret-s3cret-s3cret");
    const shown = publicProvider(parsed);
    expect(shown.webhook).toEqual({ url: "https://telephony.acme.example/dial" });
    expect(JSON.stringify(shown)).not.toContain("s3cret");
    expect(publicProvider(providerRegistration.parse(acme))).not.toHaveProperty("webhook");
  });

  it("accepts a webhook on https, and plain http only on loopback", () => {
    const withUrl = (url: string) => variant((p) => (p.webhook = { url, secret: "0123456789abcdef" }));
    expect(issuePaths(withUrl("http://127.0.0.1:9100/dial"))).toEqual([]);
    expect(issuePaths(withUrl("http://telephony.acme.example/dial"))).toEqual(["webhook.url"]);
    expect(issuePaths(variant((p) => (p.webhook = { url: "https://t.acme.example", secret: "short" })))).toEqual([
      "webhook.secret",
    ]);
  });

  it("stores phone endpoints in canonical E.164 form", () => {
    const parsed = providerRegistration.parse(variant((p) => (p.channels[0].endpoint = "+1 (512) 555-0100")));
    expect(parsed.channels[0].endpoint).toBe("+15125550100");
  });

  it("rejects an unknown time zone", () => {
    expect(issuePaths(variant((p) => (p.timezone = "America/Springfield")))).toEqual(["timezone"]);
    expect(issueAt(variant((p) => (p.timezone = "CST6")), "timezone")).toMatch(/IANA/);
  });

  it("rejects malformed business hours, naming the range end", () => {
    const monday = (range: [string, string]) => variant((p) => (p.rules.businessHours.mon = [range]));
    expect(issuePaths(monday(["8:00", "20:00"]))).toEqual(["rules.businessHours.mon.0.0"]);
    expect(issuePaths(monday(["08:00", "25:00"]))).toEqual(["rules.businessHours.mon.0.1"]);
    expect(issuePaths(monday(["08:00", "08:60"]))).toEqual(["rules.businessHours.mon.0.1"]);
    expect(issuePaths(monday(["20:00", "08:00"]))).toEqual(["rules.businessHours.mon.0.1"]);
    expect(issueAt(monday(["20:00", "08:00"]), "rules.businessHours.mon.0.1")).toMatch(/end after it starts/);
    expect(issuePaths(monday(["08:00", "08:00"]))).toEqual(["rules.businessHours.mon.0.1"]);
    expect(issuePaths(monday(["08:00", "24:00"]))).toEqual([]);
  });

  it('allows "24:00" only as an end', () => {
    const input = variant((p) => (p.rules.businessHours.sat = [["24:00", "24:00"]]));
    expect(issuePaths(input)).toContain("rules.businessHours.sat.0.0");
    expect(issueAt(input, "rules.businessHours.sat.0.0")).toMatch(/24:00/);
  });

  it("rejects overlapping ranges within a day but lets them touch", () => {
    const overlapping = variant(
      (p) =>
        (p.rules.businessHours.tue = [
          ["14:00", "18:00"],
          ["08:00", "12:00"],
          ["11:30", "14:00"],
        ]),
    );
    expect(issuePaths(overlapping)).toEqual(["rules.businessHours.tue.2"]);
    expect(issueAt(overlapping, "rules.businessHours.tue.2")).toMatch(/overlap/);
    const touching = variant(
      (p) =>
        (p.rules.businessHours.tue = [
          ["08:00", "12:00"],
          ["12:00", "20:00"],
        ]),
    );
    expect(issuePaths(touching)).toEqual([]);
  });

  it("rejects an unknown weekday and a week with no hours at all", () => {
    expect(
      issuePaths(variant((p) => ((p.rules.businessHours as Record<string, unknown>).monday = [["08:00", "20:00"]]))),
    ).toEqual(["rules.businessHours"]);
    expect(issuePaths(variant((p) => ((p.rules as { businessHours: object }).businessHours = { sun: [] })))).toEqual([
      "rules.businessHours",
    ]);
  });

  it("rejects phone endpoints that are not valid E.164", () => {
    expect(issuePaths(variant((p) => (p.channels[0].endpoint = "+1555")))).toEqual(["channels.0.endpoint"]);
    const noPlus = variant((p) => (p.channels[1].endpoint = "5125550100"));
    expect(issuePaths(noPlus)).toEqual(["channels.1.endpoint"]);
    expect(issueAt(noPlus, "channels.1.endpoint")).toMatch(/start.*\+/);
    expect(issuePaths(variant((p) => (p.channels[0].endpoint = "+1 800 FLOWERS")))).toEqual(["channels.0.endpoint"]);
  });

  it("validates other endpoints by type", () => {
    expect(issuePaths(variant((p) => (p.channels[2].endpoint = "care at acme")))).toEqual(["channels.2.endpoint"]);
    expect(issuePaths(variant((p) => p.channels.push({ type: "chat", endpoint: "http://chat.acme.example" })))).toEqual([
      "channels.3.endpoint",
    ]);
    expect(issuePaths(variant((p) => p.channels.push({ type: "chat", endpoint: "https://chat.acme.example/c" })))).toEqual(
      [],
    );
  });

  it("rejects an unknown channel type at its type", () => {
    const fax = variant((p) => p.channels.push({ type: "fax", endpoint: "+15125550102" }));
    expect(issuePaths(fax)).toEqual(["channels.3.type"]);
    expect(issueAt(fax, "channels.3.type")).toMatch(/voice, sms, email, chat, video/);
  });

  it("rejects two channels of one type", () => {
    expect(issuePaths(variant((p) => p.channels.push({ type: "voice", endpoint: "+15125550102" })))).toEqual([
      "channels.3.type",
    ]);
  });

  it("rejects allowed media the provider has no channel for", () => {
    const chat = variant((p) => (p.rules.allowedMedia = ["voice", "chat"]));
    expect(issuePaths(chat)).toEqual(["rules.allowedMedia.1"]);
    expect(issueAt(chat, "rules.allowedMedia.1")).toMatch(/no chat channel/);
    expect(issuePaths(variant((p) => (p.rules.allowedMedia = ["voice", "pigeon"])))).toEqual(["rules.allowedMedia.1"]);
    expect(issuePaths(variant((p) => (p.rules.allowedMedia = [])))).toEqual(["rules.allowedMedia"]);
  });

  it("rejects duplicate intent names", () => {
    const input = variant((p) => (p.intents[3].name = "billing"));
    expect(issuePaths(input)).toEqual(["intents.3.name"]);
    expect(issueAt(input, "intents.3.name")).toMatch(/"billing" repeats/);
  });

  it("rejects holidays that are not real dates", () => {
    expect(issuePaths(variant((p) => (p.rules.holidays = ["2026-12-25", "2026-02-30"])))).toEqual(["rules.holidays.1"]);
    expect(issuePaths(variant((p) => (p.rules.holidays = ["25/12/2026"])))).toEqual(["rules.holidays.0"]);
    expect(issuePaths(variant((p) => (p.rules.holidays = ["2028-02-29"])))).toEqual([]);
  });

  it("bounds the numeric rules", () => {
    const rule = (edit: (r: Registration["rules"]) => void) => issuePaths(variant((p) => edit(p.rules)));
    expect(rule((r) => (r.minNoticeMinutes = -1))).toEqual(["rules.minNoticeMinutes"]);
    expect(rule((r) => (r.maxAdvanceDays = 0))).toEqual(["rules.maxAdvanceDays"]);
    expect(rule((r) => (r.maxAdvanceDays = 91))).toEqual(["rules.maxAdvanceDays"]);
    expect(rule((r) => (r.slotMinutes = 7))).toEqual(["rules.slotMinutes"]);
    expect(rule((r) => (r.slotMinutes = 45))).toEqual([]);
    expect(rule((r) => (r.slotMinutes = 480))).toEqual(["rules.slotMinutes"]);
    expect(rule((r) => (r.maxAttempts = 11))).toEqual(["rules.maxAttempts"]);
    expect(rule((r) => (r.retryBackoffMinutes = [5, 0]))).toEqual(["rules.retryBackoffMinutes.1"]);
    expect(rule((r) => (r.retryBackoffMinutes = [5, 15, 30]))).toEqual(["rules.retryBackoffMinutes"]);
    expect(rule((r) => (r.retryBackoffMinutes = []))).toEqual(["rules.retryBackoffMinutes"]);
    expect(rule((r) => (r.retryBackoffMinutes = [10]))).toEqual([]); // repeats for the third attempt
    expect(
      rule((r) => {
        r.maxAttempts = 1;
        r.retryBackoffMinutes = [];
      }),
    ).toEqual([]);
  });

  it("checks ids, sites and intents", () => {
    expect(issuePaths(variant((p) => (p.id = "Acme Inc")))).toEqual(["id"]);
    expect(issuePaths(variant((p) => (p.sites = [])))).toEqual(["sites"]);
    expect(issuePaths(variant((p) => (p.sites = ["austin", "paris", "austin"])))).toEqual(["sites.2"]);
    expect(issuePaths(variant((p) => (p.intents[0].priority = 6)))).toEqual(["intents.0.priority"]);
    expect(issuePaths(variant((p) => (p.intents[0].skills = { appliance_repair: 7 })))).toEqual([
      "intents.0.skills.appliance_repair",
    ]);
    expect(issuePaths(variant((p) => (p.intents[1].examples = [])))).toEqual(["intents.1.examples"]);
    expect(issuePaths(variant((p) => (p.intents[1].examples[2] = "x".repeat(501))))).toEqual(["intents.1.examples.2"]);
    expect(issuePaths(variant((p) => (p.intents[1].name = "Billing Team")))).toEqual(["intents.1.name"]);
    expect(issuePaths(variant((p) => ((p as Record<string, unknown>).color = "red")))).toEqual([""]);
  });

  it("takes the scheduler's weights and cost tiers for its own sites only", () => {
    const withScheduling = (scheduling: unknown) => variant((p) => ((p as Record<string, unknown>).scheduling = scheduling));
    expect(issuePaths(withScheduling({ weights: { skill: 60, cost: 20 }, costTiers: { manila: 0, paris: 3 } }))).toEqual([]);
    expect(issuePaths(withScheduling({ weights: { skill: 101 } }))).toEqual(["scheduling.weights.skill"]);
    expect(issuePaths(withScheduling({ weights: { speed: 1 } }))).toEqual(["scheduling.weights"]);
    expect(issuePaths(withScheduling({ costTiers: { paris: 4 } }))).toEqual(["scheduling.costTiers.paris"]);
    expect(issueAt(withScheduling({ costTiers: { bergen: 1 } }), "scheduling.costTiers.bergen")).toMatch(/does not serve/);
  });
});

describe("e164", () => {
  it("accepts valid international numbers and returns their canonical form", () => {
    expect(e164.parse("+15125550100")).toBe("+15125550100");
    expect(e164.parse(" +1 512-555-0100 ")).toBe("+15125550100");
    expect(e164.parse("+33 6 12 34 56 78")).toBe("+33612345678");
  });

  it("rejects numbers without a country code, too short, or with an extension", () => {
    for (const bad of ["5125550100", "+1555", "+15125550100 ext. 12", "+999123456", "", "+"]) {
      expect(e164.safeParse(bad).success, bad).toBe(false);
    }
    expect(e164.safeParse("5125550100").error?.issues[0].message).toMatch(/starting with \+/);
  });
});
