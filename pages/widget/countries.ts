/**
 * The countries the widget's phone picker offers and validates as the customer types
 * (their metadata is bundled: scripts/build-pages.ts). A number from elsewhere is typed
 * with its + and country code and checked by the edge when it is sent.
 */
export const WIDGET_COUNTRIES = [
  "US", "CA", "MX", "GB", "IE", "FR", "BE", "CH", "LU", "MC", "DE", "AT", "NL", "ES", "PT", "IT",
  "SE", "NO", "DK", "FI", "PL", "AR", "CO", "CL", "PE", "BR", "PH", "IN", "AU", "NZ",
  "SG", "ZA", "MA", "SN", "CI",
] as const;
export type WidgetCountry = (typeof WIDGET_COUNTRIES)[number];
