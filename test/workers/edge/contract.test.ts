/**
 * The edge's REST contract: the document it serves is the committed one, complete
 * (ids, tags, roles, schemas), and answers, the webhook it sends and its public keys
 * match it. A document that drifts from the Worker, or an answer from the document, fails here.
 */
import { calculateJwkThumbprint, compactVerify, importJWK } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import committed from "../../../schema/openapi/edge.json" with { type: "json" };
import { portable } from "../../../schema/openapi/portable.ts";
import edgeApp from "../../../workers/edge/index.ts";
import { edgeJwks } from "../../../workers/edge/routes/keys.ts";
import { incompleteness, type OpenApiDocument } from "../contract-check.ts";
import { edge, edgeContract, offer, requestCallback, status } from "./contract.ts";
import { ADMIN, edgeEnv, registerAcme, runAt, staff, T0 } from "./helpers.ts";

const PEER_ID = "12D3KooWQSi2xhxttDvd6CHQzCmKJHyuSkV8h6MZXyd1UrJGHPtD";

describe("the edge's OpenAPI document", () => {
  it("is the committed schema/openapi/edge.json (npm run codegen), served for this edge's origin", async () => {
    const res = await edge("GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.servers).toEqual([{ url: "https://edge.test", description: "this edge" }]);
    expect(portable(res.body), "the Worker's contract changed: run npm run codegen").toEqual(committed);
  });

  it("gives every operation an operationId, tags, who may call it, and a schema for every answer", () => {
    expect(incompleteness(committed as unknown as OpenApiDocument)).toEqual([]);
    const ids = [...edgeContract.operations()].map((o) => o.op.operationId);
    expect(ids).toEqual(expect.arrayContaining(["createOffer", "requestCallback", "getCallbackStatus", "cancelCallback", "getJwks"]));
  });

  it("lists public tags first and the federation's apart, and says who may call what", () => {
    const audiences = committed.tags.map((t) => t["x-audience"]);
    expect(audiences.indexOf("federation")).toBeGreaterThan(audiences.lastIndexOf("public"));
    expect(committed["x-tagGroups"].map((g) => g.name)).toEqual(["Public API", "Federation (between the mesh's members)"]);
    expect(Object.keys(committed.components.securitySchemes).sort()).toEqual(["bearer", "carrierSignature", "signature", "verifier"]);
    const op = (method: string, path: string) => edgeContract.operation(method, path)!.op;
    expect(op("post", "/v1/providers").security).toEqual([{ bearer: ["admin"] }]);
    expect(op("post", "/v1/callbacks").security).toEqual([]);
    expect(op("get", "/v1/callbacks/X").security).toEqual([{ verifier: [] }, { bearer: ["admin", "ops", "agent"] }]);
    expect(op("get", "/v1/mesh").tags).toEqual(["federation"]);
    expect(op("get", "/v1/mesh")["x-roles"]).toEqual(["admin", "ops", "partner", "peer"]);
    expect(committed.paths["/v1/providers"].post.description).toBe("Who may call it: admin.");
    // Every route the Worker serves, GraphQL and the service's own included.
    for (const path of ["/", "/healthz", "/openapi.json", "/docs", "/.well-known/jwks.json"]) expect(op("get", path).tags?.length).toBeGreaterThan(0);
    for (const path of ["/graphql", "/graphql/cloud"]) {
      expect(op("post", path)["x-roles"]).toEqual(["admin", "ops", "partner"]);
      expect(op("get", path).security).toEqual([{ bearer: ["admin", "ops", "partner"] }]);
    }
  });

  it("documents the signed dial and notice webhooks the edge sends, and what it sends matches", async () => {
    const dial = committed.webhooks.dial.post;
    const notice = committed.webhooks.notice.post;
    expect(dial.parameters.map((p) => p.name).sort()).toEqual(["idempotency-key", "x-mesh-signature"]);
    expect(notice.parameters.map((p) => p.name).sort()).toEqual(["idempotency-key", "x-mesh-signature"]);
    const schema = dial.requestBody.content["application/json"].schema;

    await registerAcme({ webhook: { url: "https://pbx.acme.example/dial", secret: "acme-telephony-secret-0123" } });
    await staff("austin", "ana", { appliance_repair: 4 });
    const { body } = await requestCallback();
    await runAt(T0);
    const calls = (await (await edgeEnv.TELEPHONY.fetch("https://telephony/_calls")).json()) as { body: string }[];
    const mine = calls.map((c) => JSON.parse(c.body)).filter((d) => d.confirmation === body.confirmation);
    // A body with `notice` is a message (the confirmation), the rest are dials.
    const sent = mine.filter((d) => d.notice === undefined);
    const notices = mine.filter((d) => d.notice !== undefined);
    expect(sent).toHaveLength(1);
    expect(edgeContract.problems(schema, sent[0], "webhook dial")).toEqual([]);
    expect(notices.map((n) => n.notice)).toEqual(["confirmation"]);
    expect(edgeContract.problems(notice.requestBody.content["application/json"].schema, notices[0], "webhook notice")).toEqual([]);
  });
});

describe("answers drifting from the document", () => {
  it("are caught: an undocumented status, a missing or extra field, a wrong type", async () => {
    await registerAcme();
    const res = await offer();
    expect(res.status).toBe(200);
    const { token: _token, ...missing } = res.body;
    const drifted = [
      { ...res, status: 202 },
      { ...res, body: missing },
      { ...res, body: { ...res.body, surprise: true } },
      { ...res, body: { ...res.body, estimatedWaitSeconds: "soon" } },
      { ...res, body: { ...res.body, expiresAt: "tomorrow" } },
    ];
    for (const answer of drifted) expect(edgeContract.check("POST", "/v1/interactions", answer)).not.toEqual([]);
    expect(() => edgeContract.assert("POST", "/v1/interactions", drifted[1])).toThrow(/drifts from the OpenAPI document/);
    // A route the document does not have is drift too.
    expect(edgeContract.check("POST", "/v1/interaction", res)).toEqual(["POST /v1/interaction: not in the document"]);
  });
});

describe("the route families answer as documented", () => {
  it("providers: register, read, analyze; tokens; the dial log; refusals", async () => {
    await registerAcme();
    expect((await edge("GET", "/v1/providers/acme")).status).toBe(200);
    expect((await edge("GET", "/v1/providers/nobody")).status).toBe(404);
    expect((await edge("POST", "/v1/providers/acme/intents/analyze", { text: "my dryer is banging" }, ADMIN)).status).toBe(200);
    expect((await edge("POST", "/v1/providers/acme/intents/analyze", { text: "x" })).status).toBe(401);
    expect((await edge("POST", "/v1/tokens", { role: "ops", name: "Olga" }, ADMIN)).status).toBe(201);
    expect((await edge("POST", "/v1/tokens", { role: "nobody" }, ADMIN)).status).toBe(400);
    expect((await edge("GET", "/v1/media/dials?limit=5", undefined, ADMIN)).status).toBe(200);
    const { body } = await requestCallback();
    expect((await status(body.confirmation, "not-the-verifier")).status).toBe(404);
    expect((await edge("POST", `/v1/callbacks/${body.confirmation}/annotations`, { text: "called twice" }, ADMIN)).status).toBe(200);
    expect((await edge("POST", `/v1/callbacks/${body.confirmation}/complete`, { outcome: "resolved" }, ADMIN)).status).toBe(409);
  });

  it("federation: members, the signed list, the mesh", async () => {
    expect((await edge("GET", "/federation/membership")).status).toBe(404);
    expect((await edge("POST", "/v1/federation/members", { siteId: "paris", peerId: PEER_ID }, ADMIN)).status).toBe(201);
    expect((await edge("GET", "/v1/federation/members", undefined, ADMIN)).status).toBe(200);
    expect((await edge("GET", "/federation/membership")).status).toBe(200);
    expect((await edge("GET", "/v1/mesh", undefined, ADMIN)).status).toBe(200);
    expect((await edge("POST", "/federation/digests", { digests: [{ junk: true }] }, ADMIN)).status).toBe(200);
    expect((await edge("DELETE", "/v1/federation/members/lyon", undefined, ADMIN)).status).toBe(404);
  });
});

describe("GET /.well-known/jwks.json", () => {
  it("publishes the edge's membership key (public half only), cacheable, and it checks the signed list", async () => {
    const res = await edge("GET", "/.well-known/jwks.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
    const expected = JSON.parse(edgeEnv.EDGE_MEMBERSHIP_PUBLIC_KEY!);
    const kid = await calculateJwkThumbprint(expected, "sha256");
    expect(res.body).toEqual({ keys: [{ kty: "OKP", crv: "Ed25519", x: expected.x, kid, use: "sig", alg: "EdDSA" }] });

    await edge("POST", "/v1/federation/members", { siteId: "paris", peerId: PEER_ID }, ADMIN);
    const { jws } = (await edge("GET", "/federation/membership")).body;
    const { payload } = await compactVerify(jws, await importJWK(res.body.keys[0], "EdDSA"));
    expect(JSON.parse(new TextDecoder().decode(payload)).members[0].siteId).toBe("paris");
  });

  it("derives the key from the private one when no public key is set, and answers 503 without either", async () => {
    const published = (await edge("GET", "/.well-known/jwks.json")).body;
    expect(await edgeJwks({ EDGE_MEMBERSHIP_KEY: edgeEnv.EDGE_MEMBERSHIP_KEY })).toEqual(published);
    expect(JSON.stringify(published)).not.toContain('"d"');
    expect(await edgeJwks({})).toBeNull();
    expect(await edgeJwks({ EDGE_MEMBERSHIP_PUBLIC_KEY: "not json" })).toBeNull();
  });

  /** A fresh Ed25519 pair, as JWKs: another key than the one the edge signs with. */
  async function otherKey(): Promise<{ privateJwk: JsonWebKey; publicJwk: JsonWebKey }> {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    return { privateJwk: (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey, publicJwk: (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey };
  }
  const signing = () => JSON.parse(edgeEnv.EDGE_MEMBERSHIP_KEY!) as JsonWebKey;
  afterEach(() => vi.restoreAllMocks());

  it("publishes the key the edge signs with, derived from its d, not whatever x the private JWK carries", async () => {
    const { publicJwk: stray } = await otherKey();
    const published = await edgeJwks({ EDGE_MEMBERSHIP_KEY: JSON.stringify({ ...signing(), x: stray.x }) });
    expect(published?.keys.map((k) => k.x)).toEqual([signing().x]);
    // The public secret alone still publishes itself.
    const alone = await edgeJwks({ EDGE_MEMBERSHIP_PUBLIC_KEY: JSON.stringify(stray) });
    expect(alone?.keys.map((k) => k.x)).toEqual([stray.x]);
  });

  it("refuses (503 misconfigured) when the public secret is not the signing key's public half, logging thumbprints but no key", async () => {
    const { publicJwk: stale } = await otherKey();
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const env = { EDGE_MEMBERSHIP_KEY: edgeEnv.EDGE_MEMBERSHIP_KEY, EDGE_MEMBERSHIP_PUBLIC_KEY: JSON.stringify(stale) };
    await expect(edgeJwks(env)).rejects.toMatchObject({ status: 503, code: "misconfigured" });
    await expect(edgeJwks({ ...env, EDGE_MEMBERSHIP_PUBLIC_KEY: "not json" })).rejects.toMatchObject({ status: 503, code: "misconfigured" });
    // A private secret that is not one refuses too, whatever the public secret says.
    await expect(edgeJwks({ EDGE_MEMBERSHIP_KEY: JSON.stringify(stale), EDGE_MEMBERSHIP_PUBLIC_KEY: JSON.stringify(stale) })).rejects.toMatchObject({ code: "misconfigured" });

    const lines = logged.mock.calls.map((args) => args.join(" "));
    expect(lines[0]).toMatch(/EDGE_MEMBERSHIP_PUBLIC_KEY is not the public half of EDGE_MEMBERSHIP_KEY/);
    expect(lines[0]).toContain(await calculateJwkThumbprint(stale as never, "sha256"));
    for (const line of lines) for (const secret of [signing().d!, signing().x!, stale.x!]) expect(line).not.toContain(secret);

    // Through the Worker, in the error shape.
    const res = await edgeApp.request("/.well-known/jwks.json", {}, { ...edgeEnv, ...env });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("misconfigured");
    expect(JSON.stringify(body)).not.toContain(stale.x!);
  });
});
