import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_DIGEST_BYTES, parseDigest } from "../../../federation/wire/digest.ts";
// Answers checked against the OpenAPI document.
import { api, report } from "./contract.ts";
import { calculateJwkThumbprint, CompactSign, importJWK, type JWK } from "jose";
import { EDGE_KEY, PEER, putAgent, T0, useClock } from "./helpers.ts";

const PARIS_PEER = "12D3KooWQSi2xhxttDvd6CHQzCmKJHyuSkV8h6MZXyd1UrJGHPtD";

async function partnerToken(partnerId: string): Promise<string> {
  return (await api("POST", "/v1/tokens", { role: "partner", partnerId })).body.token;
}

const digest = () => api("GET", "/federation/digest", undefined, PEER);

describe("the site digest", () => {
  it("carries opaque refs and capabilities, never names or internal resources", async () => {
    await useClock();
    const ana = await putAgent("ana", { name: "Ana Souza", exposure: "federated" });
    await putAgent("pat", { name: "Pat Public", exposure: "public", skills: { billing: 3, appliance_repair: 2 } });
    await putAgent("ivr-main", { kind: "ivr", name: "Main menu", exposure: "internal" });
    await putAgent("sam", { name: "Sam Secret", exposure: "internal", skills: { appliance_repair: 5 } });
    await report("ana", "available");
    const res = await digest();
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.body);
    for (const leak of ["Ana Souza", "Pat Public", "Main menu", "Sam Secret", "ivr-main", '"ana"', '"sam"', '"pat"']) {
      expect(text).not.toContain(leak);
    }
    // Ana (federated) is listed; Pat (public) is bookable, so counted in the summaries, but not listed one by one.
    expect(res.body.agents.map((a: any) => a.ref)).toEqual([ana.ref]);
    expect(res.body.agents.find((a: any) => a.ref === ana.ref)).toMatchObject({ state: "available", freeCapacity: 1 });
    // Pat counts in the summary (two repairers); the internal level-5 repairer does not.
    expect(res.body.skills.appliance_repair).toMatchObject({ agents: 2, maxLevel: 4, available: 1 });
    expect(parseDigest(text).ok).toBe(true);
  });

  it("lists no agent at all when the membership caps the site at public exposure, and says so in its ETag", async () => {
    await useClock();
    await putAgent("ana", { exposure: "federated" });
    const before = await digest();
    expect(before.body.agents).toHaveLength(1);
    const key = await importJWK(JSON.parse(EDGE_KEY) as JWK, "EdDSA");
    const list = { version: 1, seq: 1, issuedAtMs: T0, members: [{ siteId: "paris", peerId: PARIS_PEER, trust: "partner", exposure: "public", addrs: [], keys: [] }] };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(list)))
      .setProtectedHeader({ alg: "EdDSA", typ: "membership+jws", kid: await calculateJwkThumbprint(JSON.parse(EDGE_KEY) as JWK) })
      .sign(key);
    expect((await api("POST", "/federation/membership", { jws }, PEER)).status).toBe(200);
    // The peer asks with the ETag it has: the cap changes the answer although the roster did not.
    const capped = await api("GET", "/federation/digest", undefined, PEER, { "if-none-match": before.headers.get("etag")! });
    expect(capped.status).toBe(200);
    expect(capped.body.agents).toEqual([]);
    expect(capped.body.skills.appliance_repair).toMatchObject({ agents: 1 });
    // Nor does a partner list Ana here, by REST or GraphQL; staff inside the site still do.
    const partner = await partnerToken("austin");
    expect((await api("GET", "/v1/agents", undefined, partner)).body.agents).toEqual([]);
    expect((await api("POST", "/graphql", { query: "{ agents { id } }" }, partner)).body.data.agents).toEqual([]);
    expect((await api("GET", "/v1/agents")).body.agents).toHaveLength(1);
  });

  it("tells when each agent is free: from now with no end for one logged in without a shift, none for one logged off", async () => {
    await useClock();
    const ana = await putAgent("ana");
    const bo = await putAgent("bo");
    await report("ana", "available");
    const agents = (await digest()).body.agents as { ref: string; free: unknown }[];
    expect(agents.find((a) => a.ref === ana.ref)?.free).toEqual([[T0, null]]);
    expect(agents.find((a) => a.ref === bo.ref)?.free).toEqual([]);
  });

  it("numbers every digest it issues with a growing sequence, so a refresh is never a replay", async () => {
    await useClock();
    await putAgent("ana");
    const first = (await digest()).body;
    await api("POST", "/v1/agents/ana/heartbeat");
    const refresh = (await digest()).body;
    expect(refresh.seq).toBeGreaterThan(first.seq);
    expect(refresh.agents).toEqual(first.agents);
    await report("ana", "available");
    const changed = (await digest()).body;
    expect(changed.seq).toBeGreaterThan(refresh.seq);
    expect(changed.agents[0].state).toBe("available");
  });

  it("is for the site's own peer (and admin)", async () => {
    await useClock();
    expect((await api("GET", "/federation/digest", undefined, null)).status).toBe(401);
    expect((await api("GET", "/federation/digest")).status).toBe(200);
  });

  it("rejects oversized and malformed digests on receipt", () => {
    expect(parseDigest("x".repeat(MAX_DIGEST_BYTES + 1))).toMatchObject({ ok: false, reason: "oversized" });
    expect(parseDigest("{")).toMatchObject({ ok: false, reason: "not_json" });
    expect(parseDigest(JSON.stringify({ version: 1, siteId: "paris" }))).toMatchObject({ ok: false, reason: "malformed" });
    const withName = { version: 1, siteId: "paris", seq: 1, issuedAtMs: 1, ttlMs: 15000, skills: {}, agents: [{ ref: "r_0123456789abcdef0123", name: "Ana", skills: {}, channels: [], languages: [], state: "available", expectedAvailableAtMs: null, capacity: 1, freeCapacity: 1 }] };
    expect(parseDigest(JSON.stringify(withName))).toMatchObject({ ok: false, reason: "malformed" });
  });
});

describe("polling the digest", () => {
  it("answers 304 while the roster is unchanged, and the new digest once it changes", async () => {
    await useClock();
    await putAgent("ana");
    const get = (etag?: string) =>
      SELF.fetch("http://paris.test/federation/digest", {
        headers: { authorization: `Bearer ${PEER}`, ...(etag ? { "if-none-match": etag } : {}) },
      });
    const first = await get();
    const etag = first.headers.get("etag") as string;
    expect(first.status).toBe(200);
    expect(etag).toMatch(/^".+"$/);
    await first.arrayBuffer();
    expect((await get(etag)).status).toBe(304);
    await api("POST", "/v1/agents/ana/heartbeat"); // a heartbeat changes nothing the mesh sees
    expect((await get(etag)).status).toBe(304);
    await report("ana", "available");
    const changed = await get(etag);
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as any).agents[0].state).toBe("available");
  });
});
