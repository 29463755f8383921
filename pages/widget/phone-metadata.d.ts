/** scripts/build-pages.ts's plugin: libphonenumber-js metadata for WIDGET_COUNTRIES only. */
declare module "virtual:phone-metadata" {
  import type { MetadataJson } from "libphonenumber-js/core";
  const metadata: MetadataJson;
  export default metadata;
}
