/**
 * Which media server conducts a provider's callbacks and sends its customers' messages: the
 * provider's own telephony (a signed webhook), its carrier account (the carrier adapter),
 * or, when it has neither, the simulated one of the local mesh and the tests.
 */
import type { CloudContext } from "./cloud-context.ts";
import { WebhookMediaServer, type MediaServer } from "./media-server.ts";
import type { ProviderRegistration } from "./provider.ts";

export function mediaServerFor(c: CloudContext, reg: ProviderRegistration): MediaServer {
  if (reg.webhook) return new WebhookMediaServer(reg.webhook.url, reg.webhook.secret, () => c.now());
  if (reg.carrier) {
    if (!c.env.CARRIER) throw new Error("the provider has a carrier account, but CARRIER is not bound");
    if (!c.env.PUBLIC_URL) throw new Error("a carrier calls back at the edge's PUBLIC_URL, and it is not set");
    const gateway = c.env.CARRIER.getByName(reg.id);
    const context = { config: reg.carrier, providerId: reg.id, providerName: reg.name, publicUrl: c.env.PUBLIC_URL };
    return {
      dial: async (r) => (await gateway.dialMany(context, [r]))[0],
      dialMany: (rs) => gateway.dialMany(context, rs),
      notify: (ns) => gateway.notify(context, ns),
    };
  }
  if (!c.env.MEDIA) throw new Error("no media server: set the provider's webhook or carrier, or bind MEDIA");
  return c.env.MEDIA.getByName("simulated");
}

/** Whether outcomes come later, as reports or status callbacks (an attempt that hears none times out). */
export const reportsLater = (reg: ProviderRegistration | undefined): boolean => reg?.webhook !== undefined || reg?.carrier !== undefined;
