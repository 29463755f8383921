/** URLs the edge itself calls (a provider's telephony, a webhook receiver), as registrations give them. */
import { z } from "zod";

/** https, or plain http on loopback only (an adapter or receiver run on the same machine). */
export const outboundUrl = z
  .url({ protocol: /^https?$/, error: "an https URL is required" })
  .max(2048)
  .refine((u) => {
    if (!URL.canParse(u)) return false;
    const { protocol, hostname } = new URL(u);
    return protocol === "https:" || ["localhost", "127.0.0.1", "[::1]"].includes(hostname);
  }, "an https URL is required (plain http only on localhost)");
