import { env, runInDurableObject, SELF } from "cloudflare:test";
import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import type { Viewer } from "../../../federation/wire/viewer.ts";
import { ADMIN, api, CLOUD, cloudToken, PEER, putAgent, report, useClock } from "./helpers.ts";
import { graphqlCall } from "../../http-call.ts";

const gql = (query: string, token: string | null = ADMIN, variables?: Record<string, unknown>, headers: Record<string, string> = {}) =>
  graphqlCall(SELF, "http://paris.test/graphql", query, { token, variables, headers });

async function partnerToken(partnerId: string): Promise<string> {
  return (await api("POST", "/v1/tokens", { role: "partner", partnerId })).body.token;
}

describe("the site subgraph", () => {
  it("answers the roster with states, skills, free capacity and expected availability, in upper-case enums", async () => {
    await useClock();
    await putAgent("ana", { skills: { appliance_repair: 4 } });
    await putAgent("bo", { skills: { billing: 2 }, channels: ["email"] });
    await report("ana", "available");
    const { status, body } = await gql(`{
      site { id health }
      agents { id siteId kind name exposure state skills { name level } channels capacity freeCapacity expectedAvailableAt site { id } }
    }`);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.site).toEqual({ id: "paris", health: "up" });
    const ana = body.data.agents.find((a: any) => a.name === "Ana Souza" && a.state === "AVAILABLE");
    expect(ana).toMatchObject({
      siteId: "paris",
      kind: "AGENT",
      exposure: "FEDERATED",
      skills: [{ name: "appliance_repair", level: 4 }],
      channels: ["VOICE", "SMS"],
      capacity: 1,
      freeCapacity: 1,
      site: { id: "paris" },
    });
    expect(ana.id).toMatch(/^r_[0-9a-f]{20}$/);
    expect(ana.expectedAvailableAt).toBe("2030-01-09T09:00:00.000Z");
    // Ordered by id (the opaque ref), so pages from every site merge in one order.
    const ids = body.data.agents.map((a: any) => a.id);
    expect(ids).toEqual([...ids].sort());
  });

  it("filters and pages the roster by id", async () => {
    await useClock();
    for (const id of ["a1", "a2", "a3", "a4", "a5"]) await putAgent(id, { skills: { appliance_repair: Number(id[1]) } });
    await report("a1", "available");
    const all = (await gql("{ agents { id } }")).body.data.agents.map((a: any) => a.id);
    expect(all).toHaveLength(5);
    const first = (await gql("{ agents(first: 2) { id } }")).body.data.agents.map((a: any) => a.id);
    expect(first).toEqual(all.slice(0, 2));
    const next = (await gql("query($after: String) { agents(first: 2, after: $after) { id } }", ADMIN, { after: first[1] })).body.data.agents;
    expect(next.map((a: any) => a.id)).toEqual(all.slice(2, 4));
    expect((await gql("{ agents(skill: \"appliance_repair\", minLevel: 4) { skills { level } } }")).body.data.agents).toHaveLength(2);
    expect((await gql("{ agents(state: AVAILABLE) { state } }")).body.data.agents).toEqual([{ state: "AVAILABLE" }]);
    const bad = await gql("{ agents(first: 1000) { id } }");
    expect(bad.body.errors[0].extensions).toMatchObject({ code: "invalid_request", details: { fields: [{ path: "args.first" }] } });
  });

  it("shows reservations and availability, and finds agents by id for the gateway", async () => {
    await useClock();
    const ana = await putAgent("ana", { skills: { appliance_repair: 4 } });
    await report("ana", "available");
    const start = "2030-01-09T10:00:00.000Z";
    const held = await api("POST", "/federation/reservations", { callbackId: "cb_1", skill: "appliance_repair", channel: "voice", start, end: "2030-01-09T10:15:00.000Z" }, CLOUD);
    expect(held.status).toBe(201);
    const { body } = await gql(`{
      site {
        reservations { id agentId status callbackId channel start }
        availability(skill: "appliance_repair", channel: VOICE, from: "2030-01-09T10:00:00Z", to: "2030-01-09T10:30:00Z") { start capacity }
      }
      _agents(ids: ["${ana.ref}", "r_00000000000000000000"]) { id reservations { id status } }
    }`);
    expect(body.errors).toBeUndefined();
    expect(body.data.site.reservations).toEqual([{ id: held.body.id, agentId: ana.ref, status: "HELD", callbackId: "cb_1", channel: "VOICE", start }]);
    expect(body.data.site.availability).toEqual([
      { start: "2030-01-09T10:00:00.000Z", capacity: 0 },
      { start: "2030-01-09T10:15:00.000Z", capacity: 1 },
    ]);
    expect(body.data._agents).toEqual([{ id: ana.ref, reservations: [{ id: held.body.id, status: "HELD" }] }, null]);
  });

  it("draws the boundary per viewer: partners and the federation see no names, nothing internal, no reservations", async () => {
    await useClock();
    await putAgent("ana", { name: "Ana Souza" });
    await putAgent("ivr", { kind: "ivr", name: "Main menu", exposure: "internal" });
    const query = "{ agents { name kind lastReportAt reservations { id } } site { reservations { id } } }";

    const staff = (await gql(query)).body.data;
    expect(staff.agents.map((a: any) => a.name).sort()).toEqual(["Ana Souza", "Main menu"]);

    const globex = await partnerToken("globex");
    const partner = (await gql(query, globex)).body;
    expect(partner.errors).toBeUndefined();
    expect(partner.data).toEqual({ agents: [{ name: null, kind: "AGENT", lastReportAt: null, reservations: null }], site: { reservations: null } });

    // The site's own partner sees its site whole.
    expect((await gql(query, await partnerToken("paris"))).body.data.agents).toHaveLength(2);

    // The gateway names whom it asks for in the token the edge signed for this site; without a viewer it gets the
    // federation's view.
    const as = async (viewer: Viewer | null) => (await gql(query, await cloudToken("paris", viewer))).body.data.agents;
    expect(await as(null)).toHaveLength(1);
    expect(await as({ kind: "staff" })).toHaveLength(2);
    expect((await as({ kind: "partner", siteId: "globex" }))[0].name).toBeNull();
    // Nothing else claims the edge's word: a token signed for another site, or with another key, is refused whole.
    expect((await gql(query, await cloudToken("austin", { kind: "staff" }))).status).toBe(401);
    const otherKey = JSON.stringify(await exportJWK((await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true })).privateKey));
    expect((await gql(query, await cloudToken("paris", { kind: "staff" }, otherKey))).status).toBe(401);
    // The old shared secret is nobody's credential now.
    expect((await gql(query, "test-cloud-secret")).status).toBe(401);
  });

  it("asks for a token (401 in the error shape) and refuses roles that may not query it (403)", async () => {
    await useClock();
    const anonymous = await gql("{ site { id } }", null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe("unauthorized");
    expect((await gql("{ site { id } }", "wrong")).status).toBe(401);
    const peer = await gql("{ site { id } }", PEER);
    expect(peer.status).toBe(403);
    expect(peer.body.error.code).toBe("forbidden");
  });

  it("speaks GraphQL over HTTP: GET for queries, 400 for a bad document, 405 for other methods", async () => {
    await useClock();
    const get = await SELF.fetch(`http://paris.test/graphql?query=${encodeURIComponent("{ site { id } }")}`, {
      headers: { authorization: `Bearer ${ADMIN}`, accept: "application/graphql-response+json" },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get("content-type")).toContain("application/graphql-response+json");
    expect(await get.json()).toEqual({ data: { site: { id: "paris" } } });
    const bad = await gql("{ site { nope } }");
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].message).toContain("nope");
    const put = await SELF.fetch("http://paris.test/graphql", { method: "PUT", headers: { authorization: `Bearer ${ADMIN}` } });
    expect(put.status).toBe(405);
    // Unexpected failures are masked: a roster that throws (with a path in its message) is "Unexpected error." and nothing more.
    const roster = env.ROSTER.getByName(env.SITE_ID);
    await runInDurableObject(roster, (instance: { graphAgents: unknown }) => {
      instance.graphAgents = () => {
        throw new Error("boom at /srv/objects/roster/roster.ts:42");
      };
    });
    const failed = await gql("{ site { agents { id } } }");
    // The instance's own method again (it lives on the prototype), for whatever runs after.
    await runInDurableObject(roster, (instance: { graphAgents: unknown }) => void delete instance.graphAgents);
    expect(failed.body.errors?.map((e: { message: string }) => e.message)).toEqual(["Unexpected error."]);
    expect(JSON.stringify(failed.body)).not.toMatch(/boom|roster\.ts|stack/);
    expect((await gql("{ site { agents { id } } }")).body.errors).toBeUndefined();
  });

  it("refuses operations over the limits with their own codes", async () => {
    await useClock();
    const deep = await gql("{ site { agents { site { agents { site { agents { site { agents { site { agents { site { agents { id } } } } } } } } } } } } }");
    expect(deep.status).toBe(400);
    expect(deep.body.errors[0].extensions).toMatchObject({ code: "query_too_deep", details: { maxDepth: 12 } });
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: site { id }`).join(" ");
    expect((await gql(`{ ${aliases} }`)).body.errors[0].extensions.code).toBe("too_many_aliases");
    const costly = await gql("{ agents(first: 100) { reservations(first: 100) { id siteId agentId } } site { agents(first: 100) { reservations(first: 100) { id } } } }");
    expect(costly.body.errors[0].extensions).toMatchObject({ code: "query_too_costly", details: { maxCost: 25000 } });
  });
});
