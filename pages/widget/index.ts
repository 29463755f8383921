/**
 * The callback widget a provider's pages load with one script tag:
 *   <script src="https://EDGE/widget.js" defer></script>  <callback-widget provider="acme"></callback-widget>
 * Its API is the edge that served this script, so it works on any page (the `api` attribute overrides it).
 */
import { defineWidget } from "./element.tsx";

// Only while this script first runs does document.currentScript name it.
const src = (document.currentScript as HTMLScriptElement | null)?.src;
defineWidget(src ? new URL(src).origin : location.origin);
