/**
 * What the carrier adapter asks a carrier in Twilio's REST shape, and what it makes of the
 * carrier's status callbacks. Pure: the form of a call (customer-first or agent-first, the
 * TwiML that bridges the other party), of a text, and the outcome a status means.
 */
import type { AttemptOutcome } from "../../federation/wire/vocabulary.ts";
import type { DialRequest } from "../callback-cloud/media-server.ts";
import type { CarrierConfig } from "./carrier-config.ts";

/** Which leg a status callback is about: the customer's decides the attempt; the agent's can only fail it. */
export type Leg = "customer" | "agent";

/** A form body as the carrier takes it: a name may repeat (StatusCallbackEvent). */
export type Form = [name: string, value: string][];

const xml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The agent's address at the carrier, from the provider's template. */
export function agentAddress(config: CarrierConfig, agent: { siteId: string; agentId: string }): string {
  return config.agentAddress.replaceAll("{siteId}", agent.siteId).replaceAll("{agentId}", agent.agentId);
}

/** TwiML's noun for an address: a phone number, a Voice SDK client, or a SIP URI. */
function noun(address: string, attributes = ""): string {
  if (address.startsWith("client:")) return `<Client${attributes}>${xml(address.slice("client:".length))}</Client>`;
  if (address.startsWith("sip:")) return `<Sip${attributes}>${xml(address)}</Sip>`;
  return `<Number${attributes}>${xml(address)}</Number>`;
}

/**
 * The call for one voice attempt. Customer-first: the carrier calls the customer (answering
 * machines detected) and, once answered, bridges the agent. Agent-first: it calls the agent
 * and bridges the customer, whose leg reports its own status, since that leg decides the attempt.
 */
export function callForm(config: CarrierConfig, dial: DialRequest, statusUrl: (leg: Leg) => string, providerName: string): Form {
  const events: Form = ["initiated", "ringing", "answered", "completed"].map((e) => ["StatusCallbackEvent", e]);
  const agent = dial.agent ? agentAddress(config, dial.agent) : null;
  const callerId = ` callerId="${xml(dial.from)}"`;
  if (config.dialing === "agent-first" && agent) {
    const customerLeg = ` statusCallbackEvent="initiated ringing answered completed" statusCallback="${xml(statusUrl("customer"))}"`;
    const twiml = `<Response><Say>A customer of ${xml(providerName)} asked for this callback. Connecting you now.</Say><Dial${callerId}>${noun(dial.to, customerLeg)}</Dial></Response>`;
    return [["To", agent], ["From", dial.from], ["Twiml", twiml], ["StatusCallback", statusUrl("agent")], ...events];
  }
  const bridge = agent ? `<Dial${callerId}>${noun(agent)}</Dial>` : "";
  const twiml = `<Response><Say>Hello, this is ${xml(providerName)} returning your call. Please hold while we connect you.</Say>${bridge}</Response>`;
  return [["To", dial.to], ["From", dial.from], ["Twiml", twiml], ["StatusCallback", statusUrl("customer")], ["MachineDetection", "Enable"], ...events];
}

/** A text message; `statusUrl` when its delivery decides an attempt. */
export function messageForm(from: string, to: string, body: string, statusUrl?: string): Form {
  return [["To", to], ["From", from], ["Body", body], ...(statusUrl ? ([["StatusCallback", statusUrl]] as Form) : [])];
}

const byCallStatus: Partial<Record<string, AttemptOutcome>> = {
  busy: "busy",
  "no-answer": "no_answer",
  failed: "failed",
  canceled: "failed",
};

/**
 * The outcome a call's status callback means for the attempt, or null when it decides
 * nothing yet (queued, initiated, ringing). An answering machine is voicemail. On the
 * agent's leg (agent-first) only a failure counts: the customer was never called.
 */
export function callOutcome(params: Readonly<Record<string, string>>, leg: Leg): AttemptOutcome | null {
  const status = params.CallStatus ?? "";
  if (leg === "agent") return byCallStatus[status] ? "failed" : null;
  if (status === "in-progress" || status === "answered" || status === "completed") {
    return /^(machine|fax)/.test(params.AnsweredBy ?? "") ? "voicemail" : "answered";
  }
  return byCallStatus[status] ?? null;
}

/** The outcome a text's status callback means: delivered, or failed; null while it travels. */
export function messageOutcome(params: Readonly<Record<string, string>>): AttemptOutcome | null {
  const status = params.MessageStatus ?? params.SmsStatus ?? "";
  if (status === "delivered") return "answered";
  return status === "undelivered" || status === "failed" ? "failed" : null;
}
