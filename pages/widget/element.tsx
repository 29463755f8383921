/** <callback-widget provider="acme" lang="fr" api="https://edge">: the widget as a custom element in its own shadow root. */
import { render } from "preact";
import { App } from "./app.tsx";
import { CSS } from "./style.ts";

export function defineWidget(defaultApi: string): void {
  // A page that loads the script twice keeps the first definition (defining it again throws).
  if (customElements.get("callback-widget")) return;
  customElements.define(
    "callback-widget",
    class extends HTMLElement {
      static observedAttributes = ["provider", "lang", "api"];
      private mount: HTMLElement | undefined;

      connectedCallback(): void {
        this.draw();
      }
      attributeChangedCallback(): void {
        if (this.mount) this.draw();
      }
      disconnectedCallback(): void {
        // Unmounting closes the live stream.
        if (this.mount) render(null, this.mount);
      }

      private draw(): void {
        if (!this.mount) {
          const root = this.shadowRoot ?? this.attachShadow({ mode: "open" });
          const style = document.createElement("style");
          style.textContent = CSS;
          this.mount = document.createElement("div");
          root.append(style, this.mount);
        }
        const provider = this.getAttribute("provider") ?? "";
        const api = (this.getAttribute("api") ?? defaultApi).replace(/\/+$/, "");
        // Keyed by provider and API: another one is another widget, not this one's state.
        render(<App key={`${provider} ${api}`} host={this} provider={provider} lang={this.getAttribute("lang")} api={api} />, this.mount);
      }
    },
  );
}
