import type { MetadataJson } from "libphonenumber-js/core";
import metadata from "libphonenumber-js/metadata.min.json";
import { describe, expect, it } from "vitest";
import { WIDGET_COUNTRIES } from "../../pages/widget/countries.ts";
import { checkPhone, countryOptions, defaultCountry } from "../../pages/widget/phone.ts";

/** The metadata the widget bundles: WIDGET_COUNTRIES only, as scripts/build-pages.ts cuts it. */
function widgetMetadata(): MetadataJson {
  const keep = new Set<string>(WIDGET_COUNTRIES);
  const all = metadata as unknown as { version: number; countries: Record<string, unknown>; country_calling_codes: Record<string, string[]> };
  return {
    version: all.version,
    countries: Object.fromEntries(Object.entries(all.countries).filter(([c]) => keep.has(c))),
    country_calling_codes: Object.fromEntries(
      Object.entries(all.country_calling_codes)
        .map(([code, list]) => [code, list.filter((c) => keep.has(c))] as const)
        .filter(([, list]) => list.length > 0),
    ),
  } as unknown as MetadataJson;
}

describe("checkPhone: the number the customer typed", () => {
  it("reads a national number in the chosen country", () => {
    expect(checkPhone("512 555 0142", "US", metadata)).toEqual({ ok: true, e164: "+15125550142", display: "+1 512 555 0142" });
    expect(checkPhone("(512) 555-0142", "US", metadata)).toEqual({ ok: true, e164: "+15125550142", display: "+1 512 555 0142" });
    expect(checkPhone("06 12 34 56 78", "FR", metadata)).toEqual({ ok: true, e164: "+33612345678", display: "+33 6 12 34 56 78" });
  });

  it("ignores spaces around the number", () => {
    expect(checkPhone("  0612345678 \n", "FR", metadata)).toEqual({ ok: true, e164: "+33612345678", display: "+33 6 12 34 56 78" });
  });

  it("reads a number typed with + as international, whatever country is picked", () => {
    expect(checkPhone("+33 6 12 34 56 78", "US", metadata)).toEqual({ ok: true, e164: "+33612345678", display: "+33 6 12 34 56 78" });
    expect(checkPhone("+1 512-555-0142", "FR", metadata)).toEqual({ ok: true, e164: "+15125550142", display: "+1 512 555 0142" });
    expect(checkPhone("+44 20 7946 0958", "ES", metadata)).toEqual({ ok: true, e164: "+442079460958", display: "+44 20 7946 0958" });
  });

  it("refuses a national number read in the wrong country", () => {
    expect(checkPhone("512 555 0142", "FR", metadata)).toEqual({ ok: false, problem: "invalid" });
  });

  it("refuses a number too short or too long, or with letters", () => {
    for (const [text, country] of [
      ["555 0142", "US"],
      ["06 12 34", "FR"],
      ["+33 6 12 34 56 78 90", "FR"],
      ["+1234567", "US"],
      ["call me", "US"],
      ["512 ABC 0142", "US"],
      ["1-800-FLOWERS", "US"],
    ]) {
      expect(checkPhone(text!, country!, metadata), text).toEqual({ ok: false, problem: "invalid" });
    }
  });

  it("says empty for nothing or only spaces", () => {
    expect(checkPhone("", "FR", metadata)).toEqual({ ok: false, problem: "empty" });
    expect(checkPhone("   \t", "US", metadata)).toEqual({ ok: false, problem: "empty" });
  });

  it("with the widget's metadata, still checks its countries' numbers", () => {
    const widget = widgetMetadata();
    expect(checkPhone("06 12 34 56 78", "FR", widget)).toEqual({ ok: true, e164: "+33612345678", display: "+33 6 12 34 56 78" });
    expect(checkPhone("+1 512 555 0142", "DE", widget)).toEqual({ ok: true, e164: "+15125550142", display: "+1 512 555 0142" });
    expect(checkPhone("06 12 34", "FR", widget)).toEqual({ ok: false, problem: "invalid" });
    expect(checkPhone("+33 6 12 34", "US", widget)).toEqual({ ok: false, problem: "invalid" });
  });

  it("with the widget's metadata, leaves a number of a calling code it does not bundle to the edge, as typed", () => {
    const widget = widgetMetadata();
    expect(checkPhone("+81 3-1234-5678", "FR", widget)).toEqual({ ok: true, e164: "+81312345678", display: "+81312345678" });
    expect(checkPhone("+7 (495) 123 45 67", "US", widget)).toEqual({ ok: true, e164: "+74951234567", display: "+74951234567" });
    // Not a number even so: too short for any country, or no calling code starts with 0.
    expect(checkPhone("+81 3 12", "FR", widget)).toEqual({ ok: false, problem: "invalid" });
    expect(checkPhone("+0 1234 5678", "FR", widget)).toEqual({ ok: false, problem: "invalid" });
  });

  it("with the widget's metadata, leaves to the edge a country it does not bundle that shares a calling code with one it does", () => {
    const widget = widgetMetadata();
    // Jamaica and Puerto Rico (+1, beside US and CA), Jersey (+44, beside GB), the Vatican (+39, beside IT).
    for (const [typed, e164] of [
      ["+1 876 927 1234", "+18769271234"],
      ["+1 787 555 1234", "+17875551234"],
      ["+44 1534 456789", "+441534456789"],
      ["+39 06 6988 1234", "+390669881234"],
    ]) {
      expect(checkPhone(typed, "US", widget)).toEqual({ ok: true, e164, display: e164 });
    }
    // A +1 number one digit short is no number anywhere under +1: refused here, not sent.
    expect(checkPhone("+1 512 555 014", "DE", widget)).toEqual({ ok: false, problem: "invalid" });
    // Typed without +, a number is read in the picked country only.
    expect(checkPhone("876 927 1234", "US", widget)).toEqual({ ok: false, problem: "invalid" });
  });
});

describe("defaultCountry: the picker's first choice", () => {
  const offered = ["US", "FR", "MX", "ES", "GB", "BR"];

  it("takes the region of the browser's language, or its likely region", () => {
    expect(defaultCountry("fr", offered)).toBe("FR");
    expect(defaultCountry("es-MX", offered)).toBe("MX");
    expect(defaultCountry("es", offered)).toBe("ES");
    expect(defaultCountry("en-GB", offered)).toBe("GB");
    expect(defaultCountry("pt", offered)).toBe("BR");
  });

  it("else the first country offered", () => {
    expect(defaultCountry("ja-JP", ["FR", "US"])).toBe("FR"); // a region not offered
    expect(defaultCountry("de", ["ES", "FR"])).toBe("ES"); // a likely region not offered
    expect(defaultCountry("es-419", ["MX", "ES"])).toBe("MX"); // a region that is no country
    expect(defaultCountry("not a tag", ["GB", "US"])).toBe("GB");
    expect(defaultCountry("", ["CA", "US"])).toBe("CA");
  });
});

describe("countryOptions: the picker's options", () => {
  it("names each country in the widget's language with its calling code, in that language's order", () => {
    expect(countryOptions(["US", "FR", "DE"], "fr", metadata)).toEqual([
      { code: "DE", label: "Allemagne +49" },
      { code: "US", label: "États-Unis +1" },
      { code: "FR", label: "France +33" },
    ]);
    expect(countryOptions(["FR", "ES", "US", "DE"], "es", metadata)).toEqual([
      { code: "DE", label: "Alemania +49" },
      { code: "ES", label: "España +34" },
      { code: "US", label: "Estados Unidos +1" },
      { code: "FR", label: "Francia +33" },
    ]);
    expect(countryOptions(["GB", "CA", "CI"], "en-GB", metadata)).toEqual([
      { code: "CA", label: "Canada +1" },
      { code: "CI", label: "Côte d’Ivoire +225" },
      { code: "GB", label: "United Kingdom +44" },
    ]);
  });

  it("offers every widget country with the widget's own metadata", () => {
    const options = countryOptions(WIDGET_COUNTRIES, "en", widgetMetadata());
    expect(options.map((o) => o.code).sort()).toEqual([...WIDGET_COUNTRIES].sort());
    expect(options.find((o) => o.code === "SN")).toEqual({ code: "SN", label: "Senegal +221" });
  });
});
