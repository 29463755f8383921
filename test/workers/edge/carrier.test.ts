/**
 * The carrier adapter against a stand-in carrier in Twilio's REST shape (doubles/carrier.js):
 * calls placed customer-first or agent-first with a status callback URL, texts sent, and the
 * carrier's signed status callbacks taken once: unsigned, tampered and replayed ones refused;
 * a call whose answer was lost never placed twice.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { carrierSignature } from "../../../objects/media-server/carrier-signature.ts";
import { edge, requestCallback, status } from "./contract.ts";
import { ADMIN, edgeEnv, MIN, registerAcme, runAt, staff, T0, types } from "./helpers.ts";

const ACCOUNT = "AC00000000000000000000000000acme01";
const TOKEN = "acme-carrier-auth-token-0123456789";
const CARRIER = { api: "twilio" as const, baseUrl: "https://api.carrier.test", accountSid: ACCOUNT, authToken: TOKEN };

interface StatusCallback {
  sid: string;
  url: string;
  params: Record<string, string>;
  signature: string;
}
interface CarrierRequest {
  resource: "Calls" | "Messages";
  user: string;
  form: [string, string][];
}

const carrier = (path: string, init?: RequestInit) => edgeEnv.TELEPHONY.fetch(`https://api.carrier.test${path}`, init);
const carrierRequests = async () => (await (await carrier("/_requests")).json()) as CarrierRequest[];
const field = (r: CarrierRequest, name: string) => r.form.find(([k]) => k === name)?.[1];
const callbacksOf = async (sid: string) => (await (await carrier(`/_callbacks?sid=${sid}`)).json()) as StatusCallback[];

/** Posts a status callback to the edge as the carrier does: the form, signed (or as given). */
const deliver = (cb: StatusCallback, signature: string | null = cb.signature, params = cb.params) =>
  SELF.fetch(cb.url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(signature ? { "x-twilio-signature": signature } : {}) },
    body: new URLSearchParams(params).toString(),
  });

async function withCarrier(dialing: "customer-first" | "agent-first" = "customer-first") {
  await carrier(`/_accounts/${ACCOUNT}`, { method: "PUT", body: TOKEN });
  await registerAcme({ carrier: { ...CARRIER, dialing } });
  return staff("austin", "ana", { appliance_repair: 4 });
}

/** The calls the adapter placed for a callback (its record of sends), each with the REST request and its status URL. */
async function callOf(confirmation: string) {
  const sends = await edgeEnv.CARRIER.getByName("acme").sends(confirmation);
  const requests = await carrierRequests();
  return sends
    .filter((s) => s.kind === "call")
    .map((s) => {
      const request = requests.find((r) => new URL(field(r, "StatusCallback") ?? "https://x").searchParams.get("key") === s.key)!;
      return { ...s, request, url: new URL(field(request, "StatusCallback")!) };
    });
}

describe("the carrier adapter", () => {
  it("calls the customer first, bridges the agent, and takes the carrier's signed callbacks to connected", async () => {
    const ana = await withCarrier();
    const { body } = await requestCallback({ contact: { phone: "+15125550142" } });
    const before = (await carrierRequests()).length;
    await runAt(T0);
    expect((await status(body.confirmation, body.verifier)).body.status).toBe("dialing");
    const placed = (await carrierRequests()).slice(before).filter((r) => r.resource === "Calls");
    expect(placed).toHaveLength(1);
    const call = placed[0]!;
    expect(call.user).toBe(ACCOUNT);
    expect(field(call, "To")).toBe("+15125550142");
    expect(field(call, "From")).toBe("+15125550100");
    expect(field(call, "MachineDetection")).toBe("Enable");
    expect(call.form.filter(([k]) => k === "StatusCallbackEvent").map(([, v]) => v)).toEqual(["initiated", "ringing", "answered", "completed"]);
    expect(field(call, "Twiml")).toContain(`<Dial callerId="+15125550100"><Client>austin-${ana}</Client></Dial>`);
    const statusUrl = new URL(field(call, "StatusCallback")!);
    expect(`${statusUrl.origin}${statusUrl.pathname}`).toBe("https://edge.test/v1/carrier/acme/status");
    expect(statusUrl.searchParams.get("leg")).toBe("customer");

    // The carrier reports: initiated, ringing (nothing decided), then answered by a person.
    const sid = (await callbacksOf("")).find((c) => c.url === field(call, "StatusCallback"))!.sid;
    const reports = await callbacksOf(sid);
    for (const report of reports) expect((await deliver(report)).status).toBe(204);
    const view = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(view.status).toBe("connected");
    expect(view.attempts).toMatchObject([{ n: 1, channel: "voice", outcome: "answered" }]);
    // The confirmation went as a text through the same account.
    const texts = (await carrierRequests()).filter((r) => r.resource === "Messages" && field(r, "Body")?.includes(body.confirmation));
    expect(texts.map((t) => [field(t, "To"), field(t, "From")])).toEqual([["+15125550142", "+15125550101"]]);
  });

  it("refuses a callback unsigned, signed with another token, tampered with, or heard before", async () => {
    await withCarrier();
    const { body } = await requestCallback({ contact: { phone: "+15125550142" } });
    await runAt(T0);
    const [call] = await callOf(body.confirmation);
    const reports = await callbacksOf(call!.sid!);
    const answered = reports.find((r) => r.params.CallStatus === "in-progress")!;

    const unsigned = await deliver(answered, null);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: { code: "bad_signature" } });
    expect((await deliver(answered, await carrierSignature("another-accounts-token-0123", answered.url, answered.params))).status).toBe(401);
    // The same signature over another status: the carrier never said busy.
    expect((await deliver(answered, answered.signature, { ...answered.params, CallStatus: "busy" })).status).toBe(401);
    expect((await status(body.confirmation, undefined, ADMIN)).body.status).toBe("dialing");

    expect((await deliver(answered)).status).toBe(204);
    const replayed = await deliver(answered);
    expect(replayed.status).toBe(409);
    expect(await replayed.json()).toMatchObject({ error: { code: "replayed" } });
    const view = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(view.status).toBe("connected");
    expect(types(view).filter((t) => t === "outcome")).toHaveLength(1);
    // A provider nobody registered has no account to sign with.
    expect((await deliver({ ...answered, url: answered.url.replace("/acme/", "/nobody/") })).status).toBe(401);
  });

  it("takes busy as busy: the callback is retried on the provider's backoff", async () => {
    await withCarrier();
    const { body } = await requestCallback({ contact: { phone: "+15125550001" } });
    await runAt(T0);
    const [call] = await callOf(body.confirmation);
    for (const report of await callbacksOf(call!.sid!)) expect((await deliver(report)).status).toBe(204);
    const view = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(view.attempts).toMatchObject([{ n: 1, outcome: "busy" }]);
    expect(view.status).toBe("retrying");
  });

  it("agent-first: calls the agent, then the customer, whose leg decides the attempt", async () => {
    const ana = await withCarrier("agent-first");
    const { body } = await requestCallback({ contact: { phone: "+15125550142" } });
    await runAt(T0);
    const [call] = await callOf(body.confirmation);
    expect(field(call!.request, "To")).toBe(`client:austin-${ana}`);
    expect(call!.url.searchParams.get("leg")).toBe("agent");
    expect(field(call!.request, "Twiml")).toMatch(/<Dial callerId="\+15125550100"><Number statusCallbackEvent="initiated ringing answered completed" statusCallback="[^"]+leg=customer">\+15125550142<\/Number><\/Dial>/);
    const all = await callbacksOf("");
    const parent = call!.sid!;
    const legs = all.filter((c) => c.sid === parent || c.params.ParentCallSid === parent);
    // The agent answering decides nothing; the customer's leg does.
    const agentAnswered = legs.find((c) => c.sid === parent && c.params.CallStatus === "in-progress")!;
    expect((await deliver(agentAnswered)).status).toBe(204);
    expect((await status(body.confirmation, undefined, ADMIN)).body.status).toBe("dialing");
    for (const report of legs.filter((c) => c !== agentAnswered)) expect((await deliver(report)).status).toBe(204);
    expect((await status(body.confirmation, undefined, ADMIN)).body).toMatchObject({ status: "connected", attempts: [{ outcome: "answered" }] });
  });

  it("never places a call twice when the carrier's answer is lost: the attempt times out and the next one is a new call", async () => {
    await withCarrier();
    const { body } = await requestCallback({ contact: { phone: "+15125550005" } });
    await runAt(T0);
    const callsTo = async () => (await carrierRequests()).filter((r) => r.resource === "Calls" && field(r, "To") === "+15125550005");
    const first = (await callsTo()).length;
    expect(first).toBe(1);
    expect((await status(body.confirmation, undefined, ADMIN)).body.status).toBe("dialing");
    // Asked again with the attempt's key (as the alarm does when a dial's answer is lost): it calls nobody.
    const [sent] = await callOf(body.confirmation);
    const again = await edgeEnv.CARRIER.getByName("acme").dialMany(
      { config: { ...CARRIER, dialing: "customer-first", agentAddress: "client:{siteId}-{agentId}" }, providerId: "acme", providerName: "Acme", publicUrl: "https://edge.test" },
      [{ idempotencyKey: sent!.key, confirmation: body.confirmation, attempt: 1, channel: "voice", to: "+15125550005", from: "+15125550100", agent: null }],
    );
    expect(again).toEqual([{ outcome: null }]);
    expect((await callsTo()).length).toBe(first);
    // No status callback ever came: the attempt fails after its timeout, and a retry is a new attempt.
    await runAt(T0 + 3 * MIN);
    const view = (await status(body.confirmation, undefined, ADMIN)).body;
    expect(view.attempts[0]).toMatchObject({ n: 1, outcome: "failed" });
  });

  it("keeps the account's SID and token out of the public registration", async () => {
    await withCarrier("agent-first");
    const res = await edge("GET", "/v1/providers/acme");
    expect(res.status).toBe(200);
    expect(res.body.carrier).toEqual({ api: "twilio", baseUrl: "https://api.carrier.test", dialing: "agent-first", agentAddress: "client:{siteId}-{agentId}" });
    expect(res.text).not.toContain(TOKEN);
    expect(res.text).not.toContain(ACCOUNT);
  });

  it("refuses a registration with both a telephony webhook and a carrier", async () => {
    await registerAcme();
    const res = await edge("POST", "/v1/providers", { ...(await edge("GET", "/v1/providers/acme")).body, carrier: CARRIER, webhook: { url: "https://pbx.acme.example/dial", secret: "0123456789abcdef0123" } }, ADMIN);
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.details.fields).toContainEqual(expect.objectContaining({ path: "body.carrier", message: expect.stringMatching(/not both/) }));
  });
});
