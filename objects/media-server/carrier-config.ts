/** A provider's carrier account, in the REST shape Twilio defined and SignalWire and others speak. */
import { z } from "zod";
import { outboundUrl } from "../shared/urls.ts";

export const carrierConfigSchema = z
  .strictObject({
    api: z.literal("twilio").meta({ description: "The REST shape the carrier speaks (Twilio's Programmable Voice and Messaging)" }),
    baseUrl: outboundUrl
      .default("https://api.twilio.com")
      .meta({ description: "The carrier's API root (default https://api.twilio.com; SignalWire: https://<space>.signalwire.com/api/laml)" }),
    accountSid: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, "an account SID (Twilio: AC followed by 32 hex digits)"),
    authToken: z.string().min(16, "an auth token has at least 16 characters").max(256),
    dialing: z
      .enum(["customer-first", "agent-first"])
      .default("customer-first")
      .meta({ description: "customer-first: call the customer, then bridge the agent; agent-first: call the agent, then bridge the customer" }),
    agentAddress: z
      .string()
      .max(256)
      .refine((a) => /^(client|sip):/.test(a) && a.includes("{agentId}"), "client:… or sip:… with {agentId} (and optionally {siteId})")
      .default("client:{siteId}-{agentId}")
      .meta({ description: "How the carrier reaches an agent: a template with {siteId} and {agentId} (default client:{siteId}-{agentId}, a Voice SDK identity)" }),
  })
  .meta({ description: "Dial and text through a carrier's REST API; its signed status callbacks come back to /v1/carrier/{providerId}/status" });
export type CarrierConfig = z.infer<typeof carrierConfigSchema>;
