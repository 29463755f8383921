/**
 * Every operation of the /openapi.json the edge serves, called as every caller the edge
 * knows: a role in the operation's `x-roles` is let through (whatever else it answers, never
 * a 5xx), any other is refused in the error shape: 403 for a token of another role, 401 for
 * none or a bad one, 404 where a customer's verifier would do (as for an unknown callback);
 * the rules are in test/workers/route-matrix.ts. The operations are the document's; this file
 * says only how to be each caller and how to fill each path parameter. The edge takes no cloud
 * token (it signs those for a site, which alone takes them): one is refused here like any
 * token the edge never issued.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sign } from "../../../objects/callback-cloud/signing.ts";
import { carrierSignature } from "../../../objects/media-server/carrier-signature.ts";
import { httpCall, type Call } from "../../http-call.ts";
import { Contract, type OpenApiDocument } from "../contract-check.ts";
import { fillPath, misjudged, operationsOf, unknowns, type Caller } from "../route-matrix.ts";
import { cloudToken } from "../site/helpers.ts";
import { ADMIN, edge, edgeEnv, registerAcme, requestCallback, runAt, staff, status, T0 } from "./helpers.ts";

const WEBHOOK_SECRET = "acme-telephony-secret-0123";
const PEER_ID = "12D3KooWQSi2xhxttDvd6CHQzCmKJHyuSkV8h6MZXyd1UrJGHPtD";
const PARTNER_PEER_ID = "12D3KooWKmENPSTL3YvWu7geiVzAkVnfnga7Dx136M7zJ9JZha3C";
/** Globex dials through a carrier account (Acme has its own telephony): the carrier's callbacks name it. */
const CARRIER = { api: "twilio", baseUrl: "https://api.carrier.test", accountSid: "AC0123456789abcdef0123456789abcdef", authToken: "globex-carrier-auth-token-0123" };

/** What setup makes: the ids path parameters take, the callback's verifier, and the tokens the edge issued. */
interface World {
  confirmation: string;
  subscriptionId: string;
  verifier: string;
  memberSiteId: string;
  tokens: { ops: string; agent: string; partner: string };
}

/** A request as a caller sends it: its bearer token, and what else it adds (a query parameter, a header). */
interface Credentials {
  token: string | null;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

/** Every caller, and how it authenticates a request (its body, as sent, for a signature). */
const CALLERS: (Caller & { credentials: (w: World, body: string | undefined, url: string) => Promise<Credentials> | Credentials })[] = [
  { name: "anonymous", role: null, scheme: null, credentials: () => ({ token: null }) },
  { name: "a token the edge never issued", role: null, scheme: "bearer", forged: true, credentials: () => ({ token: "not-a-token-of-this-edge" }) },
  { name: "a cloud token (the edge's own, for paris)", role: null, scheme: "bearer", forged: true, credentials: async () => ({ token: await cloudToken("paris") }) },
  // The callback's confirmation and verifier are the customer's permission; no token.
  { name: "customer (the callback's verifier)", role: "customer", scheme: "verifier", credentials: (w) => ({ token: null, query: { verifier: w.verifier } }) },
  // The provider's media server signs the raw body with its webhook secret, at the cloud's time (the test's clock).
  {
    name: "provider (a body signed with Acme's webhook secret)",
    role: "provider",
    scheme: "signature",
    credentials: async (_, body) => ({ token: null, headers: { "x-mesh-signature": await sign(WEBHOOK_SECRET, body ?? "", T0) } }),
  },
  // The carrier signs the URL it calls and the form's fields with Globex's auth token.
  {
    name: "carrier (Globex's account signs the URL and the form)",
    role: "carrier",
    scheme: "carrierSignature",
    credentials: async (_, body, url) => ({
      token: null,
      headers: { "x-twilio-signature": await carrierSignature(CARRIER.authToken, url, Object.fromEntries(new URLSearchParams(body ?? ""))) },
    }),
  },
  { name: "peer", role: "peer", scheme: "bearer", credentials: () => ({ token: edgeEnv.PEER_SECRET! }) },
  { name: "partner", role: "partner", scheme: "bearer", credentials: (w) => ({ token: w.tokens.partner }) },
  { name: "agent (holding the callback)", role: "agent", scheme: "bearer", credentials: (w) => ({ token: w.tokens.agent }) },
  { name: "ops", role: "ops", scheme: "bearer", credentials: (w) => ({ token: w.tokens.ops }) },
  { name: "admin", role: "admin", scheme: "bearer", credentials: () => ({ token: ADMIN }) },
];

/** Each path parameter the document may name, and its value: real ids, so that the roles let through reach the objects. */
const PATH_PARAMETERS: Record<string, (w: World, operationId: string) => string> = {
  providerId: (_, operationId) => (operationId === "carrierStatusCallback" ? "globex" : "acme"),
  confirmation: (w) => w.confirmation,
  siteId: (w) => w.memberSiteId,
  subscriptionId: (w) => w.subscriptionId,
  // No delivery needs to exist: a role let through is answered 404, the others are refused first.
  messageId: () => "msg_none",
};

async function setup(): Promise<World> {
  await registerAcme({ id: "globex", carrier: CARRIER });
  await registerAcme({ webhook: { url: "https://pbx.acme.example/dial", secret: WEBHOOK_SECRET } });
  await staff("austin", "ana", { appliance_repair: 4 });
  const { body: callback } = await requestCallback();
  await runAt(T0); // its first attempt dials, so the provider's report has an attempt to speak of
  const held = (await status(callback.confirmation, undefined, ADMIN)).body.agent as { id: string; siteId: string } | null;
  if (!held) throw new Error(`setup: no agent holds ${callback.confirmation}`);
  const issue = async (body: object) => {
    const res = await edge("POST", "/v1/tokens", body, ADMIN);
    if (res.status !== 201) throw new Error(`token: ${res.status} ${res.text}`);
    return res.body.token as string;
  };
  const member = await edge("POST", "/v1/federation/members", { siteId: "paris", peerId: PEER_ID }, ADMIN);
  if (member.status !== 201) throw new Error(`member: ${member.status} ${member.text}`);
  // A partner's token is bound to a partner member's site.
  const partner = await edge("POST", "/v1/federation/members", { siteId: "austin", peerId: PARTNER_PEER_ID, trust: "partner" }, ADMIN);
  if (partner.status !== 201) throw new Error(`partner member: ${partner.status} ${partner.text}`);
  const subscription = await edge("POST", "/v1/providers/acme/subscriptions", { url: "https://crm.acme.example/hooks", events: ["callback.requested"] }, ADMIN);
  if (subscription.status !== 201) throw new Error(`subscription: ${subscription.status} ${subscription.text}`);
  return {
    confirmation: callback.confirmation,
    subscriptionId: subscription.body.id,
    verifier: callback.verifier,
    memberSiteId: "paris",
    tokens: {
      ops: await issue({ role: "ops", name: "matrix" }),
      agent: await issue({ role: "agent", siteId: held.siteId, agentId: held.id }),
      partner: await issue({ role: "partner", siteId: "austin" }),
    },
  };
}

/** The edge, answering a live stream (a callback's events) with its status and headers only: it ends with the callback. */
const edgeWithoutStreams = {
  fetch: async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const res = await SELF.fetch(input, init);
    if (!res.headers.get("content-type")?.startsWith("text/event-stream")) return res;
    await res.body?.cancel();
    return new Response(null, { status: res.status, headers: res.headers });
  },
};

async function send(method: string, path: string, body: string | undefined, credentials: Credentials): Promise<Call> {
  const url = new URL(path, "https://edge.test");
  for (const [name, value] of Object.entries(credentials.query ?? {})) url.searchParams.set(name, value);
  return httpCall(edgeWithoutStreams, url.toString(), method, body, credentials.token, credentials.headers);
}

// The document the Worker under test serves, read when the file is collected: one test per operation it lists.
const served = (await (await SELF.fetch("https://edge.test/openapi.json")).json()) as OpenApiDocument;
const contract = new Contract(served);
const operations = operationsOf(served);

describe("the edge's role × route matrix, from the /openapi.json it serves", () => {
  it("has operations to walk", () => {
    expect(operations.length).toBeGreaterThan(30);
  });

  for (const operation of operations) {
    it(operation.label, async () => {
      expect(unknowns(operation, CALLERS), `${operation.label}: the matrix cannot judge it`).toEqual([]);
      const world = await setup();
      const filled = Object.entries(PATH_PARAMETERS).map(([name, fill]) => [name, fill(world, operation.op.operationId ?? "")]);
      const path = fillPath(operation, Object.fromEntries(filled));
      // Every body is empty: a 400 is an answer like any other to a role let through; a route knows its caller first.
      const given = "requestBody" in operation.op ? {} : undefined;
      const body = given === undefined ? undefined : JSON.stringify(given);
      const wrong: string[] = [];
      for (const caller of CALLERS) {
        const answer = await send(operation.method.toUpperCase(), path, body, await caller.credentials(world, body, `https://edge.test${path}`));
        const problem = misjudged(operation, caller, answer, contract);
        if (problem) wrong.push(problem);
      }
      expect(wrong, `${operation.label}: answers that break its x-roles`).toEqual([]);
    });
  }
});
