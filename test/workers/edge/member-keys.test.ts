/**
 * Every member speaks with its own key: an agent's token from their site works at the
 * edge for their own callbacks (checked with the site's key in the membership), a
 * partner's token is bound to a partner member's own site, and removing a member (or
 * its key) cuts its tokens off from the next request.
 */
import { SignJWT, importJWK, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { TEST_MEMBER_KEYS } from "../member-keys.ts";
import { edge, site } from "./contract.ts";
import { addMember, ADMIN, PEERS, registerAcme, requestCallback, staff, status, T0 } from "./helpers.ts";

type SiteId = keyof typeof PEERS;

async function siteToken(siteId: SiteId, body: Record<string, unknown>): Promise<string> {
  const res = await site(siteId, "POST", "/v1/tokens", body, ADMIN);
  if (res.status !== 201) throw new Error(`token: ${res.status} ${res.text}`);
  return res.body.token;
}

const gql = (query: string, token: string) =>
  edge("POST", "/graphql", { query }, token, { accept: "application/graphql-response+json" });

describe("an agent's one identity", () => {
  it("a token their site signs works at the edge for their own callbacks, and stops when the site leaves", async () => {
    await registerAcme();
    await staff("paris", "ana", { appliance_repair: 5 });
    for (const s of ["paris", "austin", "manila"] as const) await addMember(s);
    const { body: mine } = await requestCallback();
    expect((await status(mine.confirmation, undefined, ADMIN)).body.agent.siteId).toBe("paris");

    const ana = await siteToken("paris", { role: "agent", agentId: "ana" });
    // The same token at her site...
    expect((await site("paris", "POST", "/v1/agents/ana/heartbeat", undefined, ana)).status).toBe(204);
    // ...and at the edge, for her own callback.
    const seen = await status(mine.confirmation, undefined, ana);
    expect(seen.status).toBe(200);
    expect(seen.body.confirmation).toBe(mine.confirmation);
    const note = await edge("POST", `/v1/callbacks/${mine.confirmation}/annotations`, { text: "customer prefers mornings" }, ana);
    expect(note.status).toBe(200);

    // Another agent's callback is not hers.
    await staff("austin", "bo", { appliance_repair: 5 });
    const bo = await siteToken("austin", { role: "agent", agentId: "bo" });
    expect((await status(mine.confirmation, undefined, bo)).status).toBe(404);

    // A token that claims Paris but is signed with Austin's key is nobody's.
    const forged = await new SignJWT({ role: "agent", ref: seen.body.agent.id })
      .setProtectedHeader({ alg: "EdDSA", typ: "member+jwt" })
      .setIssuer("paris")
      .setSubject("ana")
      .setAudience("callback-mesh")
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 3600)
      .sign(await importJWK(JSON.parse(TEST_MEMBER_KEYS.austin) as JWK, "EdDSA"));
    expect((await status(mine.confirmation, undefined, forged)).status).toBe(401);

    // Paris takes its key off the list: its tokens stop at the edge from the next request (they still work at Paris).
    await addMember("paris", { keys: [] });
    expect((await status(mine.confirmation, undefined, ana)).status).toBe(401);
    await addMember("paris");
    expect((await status(mine.confirmation, undefined, ana)).status).toBe(200);
    // Paris leaves the federation: the same.
    expect((await edge("DELETE", "/v1/federation/members/paris", undefined, ADMIN)).status).toBe(200);
    const after = await status(mine.confirmation, undefined, ana);
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("unauthorized");
    expect((await site("paris", "POST", "/v1/agents/ana/heartbeat", undefined, ana)).status).toBe(204);
  });

  it("a site's member key vouches for agents and its own partner staff only: never ops, never another site", async () => {
    for (const s of ["paris", "austin", "manila"] as const) await addMember(s);
    const key = await importJWK(JSON.parse(TEST_MEMBER_KEYS.paris) as JWK, "EdDSA");
    // Signed at the project's time (every test starts at T0), to live `ttlS` seconds.
    const signed = (claims: Record<string, unknown>, sub: string, ttlS: number | null = 3600) => {
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", typ: "member+jwt" }).setIssuer("paris").setSubject(sub).setAudience("callback-mesh").setIssuedAt(T0 / 1000);
      return (ttlS ? jwt.setExpirationTime(T0 / 1000 + ttlS) : jwt).sign(key);
    };
    const mesh = (token: string) => edge("GET", "/v1/mesh", undefined, token);
    expect((await mesh(await signed({ role: "ops" }, "night lead"))).status).toBe(401);
    expect((await mesh(await signed({ role: "admin" }, "root"))).status).toBe(401);
    // A partner token speaks for its own site only, and Paris is not a partner member.
    expect((await mesh(await signed({ role: "partner" }, "paris"))).status).toBe(401);
    expect((await mesh(await signed({ role: "partner" }, "austin"))).status).toBe(401);
    // Lifetimes are bounded: 31 days is refused, and so is a token without exp.
    const agentRef = "r_0123456789abcdef0123";
    expect((await edge("GET", "/v1/callbacks/AAAA-BBBB-CCCC", undefined, await signed({ role: "agent", ref: agentRef }, "ana", 31 * 86_400))).status).toBe(401);
    expect((await edge("GET", "/v1/callbacks/AAAA-BBBB-CCCC", undefined, await signed({ role: "agent", ref: agentRef }, "ana", null))).status).toBe(401);
    // The same claims, well signed and bounded, are an agent (who then finds no such callback).
    expect((await edge("GET", "/v1/callbacks/AAAA-BBBB-CCCC", undefined, await signed({ role: "agent", ref: agentRef }, "ana"))).status).toBe(404);
  });
});

describe("a partner", () => {
  it("is bound to its own site in the membership: its token works while the site is a partner member, and no longer", async () => {
    await staff("paris", "ana", { appliance_repair: 5 });
    await staff("austin", "bo", { appliance_repair: 4 });
    await addMember("paris");
    await addMember("manila");
    await addMember("austin", { trust: "partner" });

    // Its own staff's token, signed by its own key.
    const austin = await siteToken("austin", { role: "partner", partnerId: "austin" });
    const view = await gql("{ agents { siteId name } }", austin);
    expect(view.status).toBe(200);
    expect(view.body.data.agents).toEqual(expect.arrayContaining([{ siteId: "austin", name: "Agent bo" }, { siteId: "paris", name: null }]));
    // An enterprise site's staff are not partners of the federation.
    const paris = await siteToken("paris", { role: "partner", partnerId: "paris" });
    expect((await gql("{ agents { siteId } }", paris)).status).toBe(401);

    // The edge issues partner tokens only for a partner member's site.
    const refused = await edge("POST", "/v1/tokens", { role: "partner", siteId: "paris" }, ADMIN);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("not_a_partner");
    const issued = (await edge("POST", "/v1/tokens", { role: "partner", siteId: "austin" }, ADMIN)).body.token;
    expect((await gql("{ agents { siteId } }", issued)).status).toBe(200);

    // Austin leaves: both its tokens stop at the edge from the next request.
    expect((await edge("DELETE", "/v1/federation/members/austin", undefined, ADMIN)).status).toBe(200);
    expect((await gql("{ agents { siteId } }", austin)).status).toBe(401);
    expect((await gql("{ agents { siteId } }", issued)).status).toBe(401);
  });
});
