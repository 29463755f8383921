import { describe, expect, it } from "vitest";
import { localeFor } from "../../pages/widget/i18n.ts";
import { formatInstant, formatSlot } from "../../pages/widget/time.ts";

// ICU puts thin and narrow no-break spaces around ranges and before AM/PM: compared as plain spaces.
const plain = (s: string): string => s.replace(/[\u00a0\u2009\u202f]/g, " ");
const slot = (start: string, minutes = 15) => ({ start, end: new Date(Date.parse(start) + minutes * 60_000).toISOString() });

describe("formatSlot: a slot in the customer's own zone", () => {
  const winter = slot("2030-01-09T16:00:00Z");

  it("shows the same slot at each customer's local time", () => {
    expect(plain(formatSlot(winter, "en-US", "Europe/Paris"))).toBe("Wed, 5:00 – 5:15 PM");
    expect(plain(formatSlot(winter, "en-US", "America/Chicago"))).toBe("Wed, 10:00 – 10:15 AM");
    expect(plain(formatSlot(winter, "en-US", "UTC"))).toBe("Wed, 4:00 – 4:15 PM");
  });

  it("follows summer time (Paris UTC+2 in July, Chicago UTC-5)", () => {
    const summer = slot("2030-07-10T16:00:00Z");
    expect(plain(formatSlot(summer, "en-US", "Europe/Paris"))).toBe("Wed, 6:00 – 6:15 PM");
    expect(plain(formatSlot(summer, "en-US", "America/Chicago"))).toBe("Wed, 11:00 – 11:15 AM");
  });

  it("spans a clock change as the clock reads (Paris springs forward on 2030-03-31)", () => {
    expect(plain(formatSlot(slot("2030-03-31T00:45:00Z", 30), "en-GB", "Europe/Paris"))).toBe("Sun, 01:45–03:15");
    expect(plain(formatSlot(slot("2030-03-10T07:45:00Z", 30), "en-US", "America/Chicago"))).toBe("Sun, 1:45 – 3:15 AM");
  });

  it("names both days when the slot crosses the customer's midnight", () => {
    expect(plain(formatSlot(slot("2030-01-09T22:45:00Z", 30), "en-GB", "Europe/Paris"))).toBe("Wed 9, 23:45 – Thu 10, 00:15");
  });

  it("writes the widget's language, with the clock of the browser's variant (24-hour for en-GB)", () => {
    expect(plain(formatSlot(winter, localeFor("en", ["en-GB"]), "Europe/Paris"))).toBe("Wed, 17:00–17:15");
    expect(plain(formatSlot(winter, localeFor("fr", ["fr-FR"]), "Europe/Paris"))).toBe("mer., 17:00 – 17:15");
    // Mexico's Spanish writes a 12-hour clock, Spain's a 24-hour one.
    expect(plain(formatSlot(winter, localeFor("es", ["es-MX"]), "America/Mexico_City"))).toBe("mié, 10:00–10:15 a.m.");
    expect(plain(formatSlot(winter, localeFor("es", ["es-ES"]), "Europe/Madrid"))).toBe("mié, 17:00–17:15");
  });
});

describe("formatInstant: one instant in full, its zone named", () => {
  it("shows the customer's local day and time with the zone, winter and summer", () => {
    expect(plain(formatInstant("2030-01-09T16:00:00Z", "en-GB", "Europe/Paris"))).toBe("Wednesday 9 January at 17:00 CET");
    expect(plain(formatInstant("2030-07-10T16:00:00Z", "en-GB", "Europe/Paris"))).toBe("Wednesday 10 July at 18:00 CEST");
    expect(plain(formatInstant("2030-01-09T16:00:00Z", "en-US", "America/Chicago"))).toBe("Wednesday, January 9 at 10:00 AM CST");
    expect(plain(formatInstant("2030-07-10T16:00:00Z", "en-US", "America/Chicago"))).toBe("Wednesday, July 10 at 11:00 AM CDT");
  });

  it("moves to the next day when the customer's zone is already there", () => {
    expect(plain(formatInstant("2030-01-09T23:30:00Z", "en-US", "Asia/Tokyo"))).toBe("Thursday, January 10 at 8:30 AM GMT+9");
  });

  it("speaks the widget's language", () => {
    expect(plain(formatInstant("2030-07-10T16:00:00Z", "fr-FR", "Europe/Paris"))).toBe("mercredi 10 juillet à 18:00 UTC+2");
  });
});
