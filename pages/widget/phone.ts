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
  // Typed with + and not valid for any bundled country: it may be a country the widget does not carry, even one that
  // shares a calling code with a bundled one (Jamaica's +1, Jersey's +44). The edge checks it, with all the metadata,
  // when it is sent (countries.ts); here it only has to look like E.164.
  const plain = typed.replace(/[\s().-]/g, "");
  // So: a calling code not bundled at all, or a number of a length its calling code allows (a +1 number one digit short
  // is still refused as typed; a well-sized one that no bundled country's patterns take is the edge's to judge).
  const possible = !number || number.isPossible();
  if (typed.startsWith("+") && /^\+[1-9]\d{7,14}$/.test(plain) && possible) return { ok: true, e164: plain, display: plain };
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
