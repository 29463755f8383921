import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from "jose";
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { api, report } from "./contract.ts";
import { agentToken, CLOUD, cloudToken, EDGE_KEY, PEER, putAgent, T0, useClock } from "./helpers.ts";
import { TEST_MEMBER_KEYS } from "../member-keys.ts";
import { TEST_SECRETS } from "../../constants.ts";

const SITE_SECRET = new TextEncoder().encode(TEST_SECRETS.SITE_JWT_SECRET);
const reservation = { callbackId: "cb_x", skill: "appliance_repair", channel: "voice", start: "2030-01-09T09:15:00.000Z", end: "2030-01-09T09:30:00.000Z" };

describe("auth", () => {
  it("asks for a token, and refuses one it did not issue", async () => {
    await useClock();
    await putAgent("ana");
    expect((await api("GET", "/v1/agents", undefined, null)).status).toBe(401);
    const bad = await api("GET", "/v1/agents", undefined, "guess");
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe("unauthorized");
    expect(JSON.stringify(bad.body)).not.toContain("guess");

    const forged = await new SignJWT({ role: "agent" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("ana")
      .setIssuer("site:paris")
      .setAudience("site:paris")
      .setExpirationTime(T0 / 1000 + 3600)
      .sign(new TextEncoder().encode("not-the-site-secret-not-the-site-secret"));
    expect((await report("ana", "available", undefined, forged)).status).toBe(401);
  });

  it("refuses a token of its own that never expires or lives longer than it issues them for", async () => {
    await useClock();
    await putAgent("ana");
    const now = Math.floor(T0 / 1000);
    const signed = (exp: number | null, iat: number | null = now) => {
      const jwt = new SignJWT({ role: "ops" }).setProtectedHeader({ alg: "HS256" }).setSubject("x").setIssuer("site:paris").setAudience("site:paris");
      if (iat !== null) jwt.setIssuedAt(iat);
      if (exp !== null) jwt.setExpirationTime(exp);
      return jwt.sign(SITE_SECRET);
    };
    // The same key and claims, good for an hour: accepted, so the refusals below are for the lifetime alone.
    expect((await api("GET", "/v1/agents", undefined, await signed(now + 3600))).status).toBe(200);
    expect((await api("GET", "/v1/agents", undefined, await signed(null))).status).toBe(401);
    expect((await api("GET", "/v1/agents", undefined, await signed(now + 3600, null))).status).toBe(401);
    expect((await api("GET", "/v1/agents", undefined, await signed(now + 365 * 86_400))).status).toBe(401);
  });

  it("takes the callback cloud's word only in a token the edge signed for this site, and keeps it to the cloud's routes", async () => {
    await useClock();
    const ana = await putAgent("ana");
    await report("ana", "available");
    const reserve = async (token: string) => (await api("POST", "/federation/reservations", { ...reservation, agentId: ana.ref }, token)).status;
    // Signed for another site (say a partner's, which the edge calls too): refused here.
    expect(await reserve(await cloudToken("austin"))).toBe(401);
    // Signed by a key that is not the edge's.
    const stranger = JSON.stringify(await exportJWK((await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true })).privateKey));
    expect(await reserve(await cloudToken("paris", null, stranger))).toBe(401);
    // The edge's key, for this site, but too long-lived or without an expiry: refused.
    const key = await importJWK(JSON.parse(EDGE_KEY) as JWK, "EdDSA");
    const kid = await calculateJwkThumbprint(JSON.parse(EDGE_KEY) as JWK);
    const now = Math.floor(T0 / 1000);
    const edgeSigned = (exp: number | null) => {
      const jwt = new SignJWT({}).setProtectedHeader({ alg: "EdDSA", typ: "cloud+jwt", kid }).setIssuer("edge").setAudience("paris").setIssuedAt(now);
      if (exp !== null) jwt.setExpirationTime(exp);
      return jwt.sign(key);
    };
    expect(await reserve(await edgeSigned(null))).toBe(401);
    expect(await reserve(await edgeSigned(now + 86_400))).toBe(401);
    // A partner token this site issued may read, never reserve.
    const partner = (await api("POST", "/v1/tokens", { role: "partner", partnerId: "globex" })).body.token;
    expect(await reserve(partner)).toBe(403);
    // The edge's own token for this site: reserved.
    expect(await reserve(await edgeSigned(now + 300))).toBe(201);
  });

  it("lets an agent report and heartbeat for itself only", async () => {
    await useClock();
    await putAgent("ana");
    await putAgent("bo");
    const ana = await agentToken("ana");
    expect((await report("ana", "available", undefined, ana)).status).toBe(200);
    expect((await api("POST", "/v1/agents/ana/heartbeat", undefined, ana)).status).toBe(204);
    expect((await api("GET", "/v1/agents/ana", undefined, ana)).status).toBe(200);

    const forBo = await report("bo", "available", undefined, ana);
    expect(forBo.status).toBe(403);
    expect(forBo.body.error.code).toBe("forbidden");
    expect((await api("POST", "/v1/agents/bo/heartbeat", undefined, ana)).status).toBe(403);
    expect((await api("GET", "/v1/agents/bo", undefined, ana)).status).toBe(403);
    expect((await api("GET", "/v1/agents", undefined, ana)).status).toBe(403);
    expect((await api("PUT", "/v1/agents/ana", { name: "x", skills: {}, channels: ["voice"], languages: ["en"] }, ana)).status).toBe(403);
    expect((await api("GET", "/v1/agents/bo")).body.state).toBe("offline");
  });

  it("keeps peers and the cloud to their own routes", async () => {
    await useClock();
    await putAgent("ana");
    expect((await api("GET", "/v1/agents", undefined, PEER)).status).toBe(403);
    expect((await api("GET", "/v1/agents", undefined, CLOUD)).status).toBe(403);
    expect((await api("GET", "/federation/reservations/rsv_0123456789abcdef0123456789abcdef", undefined, PEER)).status).toBe(403);
    expect((await api("POST", "/v1/tokens", { role: "ops", name: "x" }, PEER)).status).toBe(403);
  });

  it("shows a partner no names and no internal resources", async () => {
    await useClock();
    await putAgent("ana", { name: "Ana Souza" });
    await putAgent("ivr-main", { kind: "ivr", name: "Main menu", exposure: "internal" });
    const issued = await api("POST", "/v1/tokens", { role: "partner", partnerId: "globex" });
    expect(issued.status).toBe(201);
    const list = await api("GET", "/v1/agents", undefined, issued.body.token);
    expect(list.status).toBe(200);
    expect(list.body.agents).toHaveLength(1);
    const text = JSON.stringify(list.body);
    expect(text).not.toContain("Ana Souza");
    expect(text).not.toContain("ivr-main");
    expect(text).not.toContain('"ana"');
    expect((await api("GET", "/v1/agents/ivr-main", undefined, issued.body.token)).status).toBe(404);
    // A partner knows an agent by its opaque ref; a roster id tells it nothing: a known one answers exactly as an unknown one.
    const ref = list.body.agents[0].id as string;
    const byRef = await api("GET", `/v1/agents/${ref}`, undefined, issued.body.token);
    expect(byRef.status).toBe(200);
    expect(byRef.body.id).toBe(ref);
    expect(byRef.body).not.toHaveProperty("name");
    const known = await api("GET", "/v1/agents/ana", undefined, issued.body.token);
    const unknown = await api("GET", "/v1/agents/nobody", undefined, issued.body.token);
    expect(known.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(known.body.error.code).toBe(unknown.body.error.code);
    expect(known.body.error.message.replace("ana", "X")).toBe(unknown.body.error.message.replace("nobody", "X"));
    // A partner cannot change anything.
    expect((await report("ana", "available", undefined, issued.body.token)).status).toBe(403);
  });

  it("lets ops read the roster but not change it", async () => {
    await useClock();
    await putAgent("ana");
    const { body } = await api("POST", "/v1/tokens", { role: "ops", name: "night shift lead" });
    expect((await api("GET", "/v1/agents", undefined, body.token)).body.agents[0].name).toBe("Ana Souza");
    expect((await report("ana", "available", undefined, body.token)).status).toBe(403);
  });

  it("signs an agent's token with its member key (one identity, good at the edge too), and takes only its own", async () => {
    await useClock();
    await putAgent("ana");
    const issued = await api("POST", "/v1/tokens", { role: "agent", agentId: "ana" });
    expect(issued.status).toBe(201);
    const [header] = issued.body.token.split(".");
    expect(JSON.parse(atob(header.replace(/-/g, "+").replace(/_/g, "/")))).toMatchObject({ alg: "EdDSA", typ: "member+jwt" });
    expect((await report("ana", "available", undefined, issued.body.token)).status).toBe(200);
    // The same claims signed with another member's key: refused here.
    const austin = await importJWK(JSON.parse(TEST_MEMBER_KEYS.austin) as JWK, "EdDSA");
    const claims = JSON.parse(atob(issued.body.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", typ: "member+jwt" }).sign(austin);
    expect((await report("ana", "available", undefined, forged)).status).toBe(401);
    // Austin's own token (its issuer) is Austin's business, not Paris's.
    const austins = await new SignJWT({ ...claims, iss: "austin" }).setProtectedHeader({ alg: "EdDSA", typ: "member+jwt" }).sign(austin);
    expect((await report("ana", "available", undefined, austins)).status).toBe(401);
  });
});
