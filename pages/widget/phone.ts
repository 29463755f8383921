/** The phone field's rules: pure, the metadata passed in (the widget's is a subset; tests may pass the full one). */
import { getCountryCallingCode, parsePhoneNumberFromString, type CountryCode, type MetadataJson } from "libphonenumber-js/core";

// Why a number is refused is not told apart further (too short, too long, not a number there): each costs the page bytes.
export type PhoneCheck = { ok: true; e164: string; display: string } | { ok: false; problem: "empty" | "invalid" };

/** A typed number, read in `country` unless it starts with + (then international). */
export function checkPhone(text: string, country: string, metadata: MetadataJson): PhoneCheck {
  const typed = text.trim();
  if (!typed) return { ok: false, problem: "empty" };
  const number = parsePhoneNumberFromString(typed, country as CountryCode, metadata);
  if (number?.isValid()) return { ok: true, e164: number.number, display: number.formatInternational() };
  // A calling code (1 to 3 digits) whose countries are not bundled: the edge checks the number when it is sent (countries.ts).
  const plain = typed.replace(/[\s().-]/g, "");
  if (/^\+[1-9]\d{7,14}$/.test(plain) && ![2, 3, 4].some((n) => plain.slice(1, n) in metadata.country_calling_codes)) {
    return { ok: true, e164: plain, display: plain };
  }
  return { ok: false, problem: "invalid" };
}

/** The country of a browser language's region (or of its likely region: "fr" is FR), if offered; else the first offered. */
export function defaultCountry(browserLanguage: string, countries: readonly string[]): string {
  let region: string | undefined;
  try {
    const locale = new Intl.Locale(browserLanguage);
    region = locale.region ?? locale.maximize().region;
  } catch {
    // Not a language tag: the first country.
  }
  return region && countries.includes(region) ? region : countries[0]!;
}

/** The country picker's options, named in `locale`, each with its calling code, in that language's order. */
export function countryOptions(countries: readonly string[], locale: string, metadata: MetadataJson): { code: string; label: string }[] {
  const names = new Intl.DisplayNames([locale], { type: "region" });
  return countries
    .map((code) => ({ code, label: `${names.of(code) ?? code} +${getCountryCallingCode(code as CountryCode, metadata)}` }))
    .sort((a, b) => a.label.localeCompare(b.label, locale));
}
