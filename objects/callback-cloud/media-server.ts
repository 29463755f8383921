/**
 * The media server conducts a callback on a channel, and sends the customer's confirmations
 * and reminders. Three adapters: the simulated one (the local mesh and tests), a signed
 * webhook to a provider's own telephony, whose call progress comes back at
 * /v1/callbacks/:c/progress, and a carrier's REST API (objects/media-server/carrier.ts). Every dial carries an
 * idempotency key: a media server that sees a key again must not dial again.
 */
import { z } from "zod";
import type { AttemptOutcome, Channel } from "../../federation/wire/vocabulary.ts";
import { channel as channelSchema } from "../roster/model.ts";
import { sign, SIGNATURE_HEADER } from "./signing.ts";

/** What the edge asks a media server to do; the body of the webhook to a provider's telephony (its schema documents it). */
export const dialRequestSchema = z
  .strictObject({
    idempotencyKey: z.string().meta({ description: "The same in the idempotency-key header: a key seen again must not dial again" }),
    confirmation: z.string(),
    attempt: z.number().int().min(1),
    channel: channelSchema,
    to: z.string().meta({ description: "The customer's phone number (E.164) or email address" }),
    from: z.string().meta({ description: "The provider's endpoint for the channel" }),
    agent: z.strictObject({ siteId: z.string(), agentId: z.string() }).nullable(),
    message: z.string().optional().meta({ description: "For text channels: what the customer reads" }),
  })
  .meta({ id: "DialRequest", description: "A dial: call or write to the customer on a channel, for one attempt of a callback." });
export type DialRequest = z.infer<typeof dialRequestSchema>;

/** A message to the customer that is not an attempt (a confirmation, a reminder); sent to the same telephony webhook as dials. */
export const noticeRequestSchema = z
  .strictObject({
    notice: z.enum(["confirmation", "reminder"]).meta({ description: "What the message is: a body with `notice` is a message to send, never a call" }),
    idempotencyKey: z.string().meta({ description: "The same in the idempotency-key header: a key seen again must not send again" }),
    confirmation: z.string(),
    channel: z.enum(["sms", "email"]),
    to: z.string().meta({ description: "The customer's phone number (E.164) or email address" }),
    from: z.string().meta({ description: "The provider's endpoint for the channel" }),
    message: z.string().meta({ description: "What the customer reads, with the link to see, move or cancel the callback" }),
  })
  .meta({ id: "NoticeRequest", description: "A confirmation or reminder to send the customer by SMS or email." });
export type NoticeRequest = z.infer<typeof noticeRequestSchema>;
/** Sent, or refused for good (a bad address, a channel the media server does not carry); a throw is a failure to try again. */
export type NoticeResult = "sent" | "refused";

/** A dial either ends at once with an outcome, or is accepted and reports progress later. */
export type DialResult = { outcome: AttemptOutcome; ringMs: number } | { outcome: null };

export interface MediaServer {
  dial(request: DialRequest): Promise<DialResult>;
  /** Many dials in one message: callbacks due at one instant go out together. Results in order. */
  dialMany(requests: DialRequest[]): Promise<DialResult[]>;
  /** Confirmations and reminders, idempotent by key as dials are. Results in order. */
  notify(notices: NoticeRequest[]): Promise<NoticeResult[]>;
}

/**
 * What the simulated media server makes of a number: 0001 busy, 0002 no answer,
 * 0003 voicemail, 0004 failed, anything else answered after a short ring. A text
 * (sms, email, chat) is delivered ("answered") unless the address ends in 0004.
 */
export function simulatedOutcome(to: string, channel: Channel): { outcome: AttemptOutcome; ringMs: number } {
  const tail = to.replace(/@.*$/, "").slice(-4);
  const text = channel === "sms" || channel === "email" || channel === "chat";
  const scripted: Record<string, AttemptOutcome> = text
    ? { "0004": "failed" }
    : { "0001": "busy", "0002": "no_answer", "0003": "voicemail", "0004": "failed" };
  const outcome = scripted[tail] ?? "answered";
  return { outcome, ringMs: channel === "voice" || channel === "video" ? (outcome === "answered" ? 4_000 : 25_000) : 0 };
}

/** The webhook adapter: a signed POST to the provider's telephony; progress comes back later. */
export class WebhookMediaServer implements MediaServer {
  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly now: () => number,
    // Wrapped: workerd refuses a fetch called with another `this`.
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  async dial(request: DialRequest): Promise<DialResult> {
    await this.post(request);
    return { outcome: null };
  }

  async notify(notices: NoticeRequest[]): Promise<NoticeResult[]> {
    return Promise.all(notices.map(async (n) => (await this.post(n), "sent" as const)));
  }

  private async post(request: DialRequest | NoticeRequest): Promise<void> {
    const body = JSON.stringify(request);
    const res = await this.fetcher(this.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "idempotency-key": request.idempotencyKey,
        [SIGNATURE_HEADER]: await sign(this.secret, body, this.now()),
      },
      body,
    });
    if (!res.ok) throw new Error(`the provider's media server answered ${res.status}`);
  }

  async dialMany(requests: DialRequest[]): Promise<DialResult[]> {
    return Promise.all(requests.map((r) => this.dial(r)));
  }
}
