import { listDurableObjectIds, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addMember, ADMIN, edge, edgeEnv, PEER, PEERS as SITE_PEERS, planNow, registerAcme, requestOnly, site, staff, status } from "./helpers.ts";
import { graphqlCall } from "../../http-call.ts";
import { projectClock } from "../project-clock.ts";

// Lyon is a member of these tests alone: a subgraph that never answers.
const PEERS = { ...SITE_PEERS, lyon: "12D3KooWLyonLyonLyonLyonLyonLyonLyonLyonLyonLyonLyon" };

export const gql = (query: string, token: string | null = ADMIN, variables?: Record<string, unknown>, path = "/graphql") =>
  graphqlCall(SELF, `https://edge.test${path}`, query, { token, variables });

async function token(body: Record<string, unknown>): Promise<string> {
  const res = await edge("POST", "/v1/tokens", body, ADMIN);
  if (res.status !== 201) throw new Error(`token: ${res.status} ${res.text}`);
  return res.body.token;
}

/** Three agents who repair appliances, one per site, and a callback planned on each. */
async function threeSitesWithCallbacks() {
  await registerAcme();
  const refs = {
    paris: await staff("paris", "ana", { appliance_repair: 5 }),
    austin: await staff("austin", "bo", { appliance_repair: 4 }),
    manila: await staff("manila", "cy", { appliance_repair: 3 }),
  };
  await staff("paris", "dee", { billing: 2 });
  const confirmations: string[] = [];
  // Three requests arriving together, planned together by the alarm that follows them.
  for (let i = 0; i < 3; i++) {
    const created = await requestOnly();
    expect(created.status).toBe(201);
    confirmations.push(created.body.confirmation);
  }
  await planNow();
  const holders = new Map<string, string>();
  for (const c of confirmations) {
    const view = (await status(c, undefined, ADMIN)).body;
    holders.set(c, `${view.agent.siteId}/${view.agent.id}`);
  }
  return { refs, confirmations, holders };
}

describe("the federated schema at the edge", () => {
  it("answers ops, in one query, the agents of every site with the callbacks they hold", async () => {
    const { refs, holders } = await threeSitesWithCallbacks();
    expect(new Set(holders.values()).size).toBe(3);

    const { status: code, body } = await gql(`{
      agents(skill: "appliance_repair") {
        id siteId name state
        site { id health }
        callbacks { confirmation status scheduledFor agent { id siteId } }
      }
    }`);
    expect(code).toBe(200);
    expect(body.errors).toBeUndefined();
    const agents = body.data.agents as any[];
    expect(agents.map((a) => a.siteId).sort()).toEqual(["austin", "manila", "paris"]);
    // Ordered by id across the mesh.
    expect(agents.map((a) => a.id)).toEqual(agents.map((a) => a.id).sort());
    for (const a of agents) {
      expect(a.id).toBe(refs[a.siteId as keyof typeof refs]);
      expect(a.site).toEqual({ id: a.siteId, health: "up" });
      expect(a.state).toBe("AVAILABLE");
      expect(a.name).toMatch(/^Agent /);
      expect(a.callbacks).toHaveLength(1);
      const [cb] = a.callbacks;
      expect(cb.status).toBe("SCHEDULED");
      expect(holders.get(cb.confirmation)).toBe(`${a.siteId}/${a.id}`);
      // Type merging both ways: the callback's agent is this agent again, from its site.
      expect(cb.agent).toEqual({ id: a.id, siteId: a.siteId });
    }
    // One request per site for the agents (their Callback.agent batched into one more), one batch to the cloud.
    expect(Object.keys(body.extensions.members).sort()).toEqual(["austin", "manila", "paris"]);
    for (const s of Object.values(body.extensions.members) as { requests: number }[]) expect(s.requests).toBeLessThanOrEqual(2);
  });

  it("resolves a list of callbacks to their agents with one request per site, and agents back to their site", async () => {
    const { holders } = await threeSitesWithCallbacks();
    // Three more callbacks at once: every agent's capacity is taken now, so they wait or go later.
    const { body } = await gql(`{
      callbacks(first: 10) {
        nodes { confirmation status agentRef { id siteId } agent { id siteId skills { name level } site { id agents(skill: "billing") { name } } } }
        pageInfo { hasNextPage endCursor }
      }
    }`);
    expect(body.errors).toBeUndefined();
    const nodes = body.data.callbacks.nodes as any[];
    expect(nodes).toHaveLength(3);
    for (const n of nodes) {
      expect(`${n.agent.siteId}/${n.agent.id}`).toBe(holders.get(n.confirmation));
      expect(n.agent).toMatchObject({ id: n.agentRef.id, siteId: n.agentRef.siteId, skills: [{ name: "appliance_repair" }] });
      expect(n.agent.site.id).toBe(n.agent.siteId);
      expect(n.agent.site.agents).toEqual(n.agent.siteId === "paris" ? [{ name: "Agent dee" }] : []);
    }
    expect(body.data.callbacks.pageInfo.hasNextPage).toBe(false);
    // Three callbacks, three sites: each site was asked once (its `_agents` batch), never once per callback.
    expect(body.extensions.members).toEqual({
      austin: expect.objectContaining({ requests: 1 }),
      manila: expect.objectContaining({ requests: 1 }),
      paris: expect.objectContaining({ requests: 1 }),
    });
  });
});

describe("members that do not answer", () => {
  it("cost a query the timeout at most: the answer has the other sites' data and an error naming the missing site", async () => {
    await staff("paris", "ana", { appliance_repair: 5 });
    await staff("austin", "bo", { appliance_repair: 4 });
    await staff("manila", "cy", { appliance_repair: 3 });
    for (const s of ["paris", "austin", "manila"] as const) await addMember(s);
    // Lyon is a member whose subgraph never answers.
    await addMember("lyon", { peerId: PEERS.lyon, subgraphUrl: "https://lyon.hang.test/graphql" });

    const { status: code, body } = await gql("{ agents { id siteId } sites { id } }");
    expect(code).toBe(200);
    expect(body.data.agents.map((a: any) => a.siteId).sort()).toEqual(["austin", "manila", "paris"]);
    expect(body.data.sites.map((s: any) => s.id).sort()).toEqual(["austin", "manila", "paris"]);
    expect(body.errors).toHaveLength(2);
    for (const e of body.errors) {
      expect(e.message).toBe("site lyon did not answer within 1000 ms");
      expect(e.extensions).toMatchObject({ code: "site_unreachable", siteId: "lyon" });
    }
    expect(body.errors.map((e: any) => e.path[0]).sort()).toEqual(["agents", "sites"]);
    // Both root fields waited for lyon once: one request to it, and the second field had its answer at once.
    expect(body.extensions.members.lyon.requests).toBe(1);

    // Asked for by name, the missing site is null with its error.
    const one = await gql('{ site(id: "lyon") { id } }');
    expect(one.body.data).toEqual({ site: null });
    expect(one.body.errors[0].extensions).toMatchObject({ code: "site_unreachable", siteId: "lyon" });
  });

  it("does not ask a member the mesh view holds down: its error comes at once, and no request goes to it", async () => {
    const clock = projectClock;
    await staff("paris", "ana", { appliance_repair: 5 });
    await addMember("paris");
    await addMember("lyon", { peerId: PEERS.lyon, subgraphUrl: "https://lyon.hang.test/graphql" });
    // Lyon was heard from once, then fell silent past four times its time to live.
    const digest = { version: 1, siteId: "lyon", seq: 1, issuedAtMs: clock.now(), ttlMs: 15_000, agents: [], skills: {} };
    expect((await edge("POST", "/federation/digests", { digests: [digest] }, PEER)).body.accepted).toBe(1);
    await clock.advance(60_001);
    const { body } = await gql("{ agents { id siteId } }");
    expect(body.data.agents.map((a: any) => a.siteId)).toEqual(["paris"]);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions).toMatchObject({ code: "site_unreachable", siteId: "lyon", down: true });
    // Asked: Paris once; Lyon not at all (a caller never waits out a dead member's timeout).
    expect(Object.keys(body.extensions.members)).toEqual(["paris"]);
  });

  it("follows the membership: a member removed is no longer asked", async () => {
    for (const s of ["paris", "austin"] as const) await addMember(s);
    expect((await gql("{ sites { id } }")).body.data.sites.map((s: any) => s.id)).toEqual(["austin", "paris"]);
    await addMember("manila");
    expect((await gql("{ sites { id } }")).body.data.sites.map((s: any) => s.id)).toEqual(["austin", "manila", "paris"]);
    expect((await edge("DELETE", "/v1/federation/members/austin", undefined, ADMIN)).status).toBe(200);
    expect((await gql("{ sites { id } }")).body.data.sites.map((s: any) => s.id)).toEqual(["manila", "paris"]);
    expect((await gql('{ site(id: "austin") { id } }')).body.data).toEqual({ site: null });
  });
});

describe("who sees what", () => {
  it("refuses anonymous callers (401) and roles without GraphQL (403), in the error shape", async () => {
    const anonymous = await gql("{ sites { id } }", null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ error: { code: "unauthorized", message: expect.any(String), details: null } });
    expect((await gql("{ sites { id } }", "not-a-token")).status).toBe(401);
    const refused = await gql("{ sites { id } }", PEER);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("forbidden");
    // The shared cloud secret is gone: it is nobody's credential, at the edge or anywhere.
    expect((await gql("{ sites { id } }", "test-cloud-secret")).status).toBe(401);
    const agent = await token({ role: "agent", siteId: "paris", agentId: "r_00000000000000000000" });
    expect((await gql("{ sites { id } }", agent)).status).toBe(403);
  });

  it("never shows a partner an agent's written answer, which can hold what the customer said, nor a site's reservation", async () => {
    const { confirmations, holders } = await threeSitesWithCallbacks();
    const parisCallback = confirmations.find((c) => holders.get(c)?.startsWith("paris/")) as string;
    const held = (await gql(`{ callback(confirmation: "${parisCallback}") { reservationId } }`, await token({ role: "ops", name: "night lead" }))).body;
    expect(held.data.callback.reservationId).toMatch(/^rsv_/);
    const answered = await edge("POST", `/v1/callbacks/${parisCallback}/answer`, { text: "Your door code 4711 is on file; the engineer comes at 10." }, ADMIN);
    expect(answered.status).toBe(200);
    const query = `{ callback(confirmation: "${parisCallback}") { confirmation answer reservationId } }`;
    const ops = await token({ role: "ops", name: "night lead" });
    expect((await gql(query, ops)).body.data.callback.answer).toContain("4711");
    // A partner's token is bound to a partner member's site.
    await addMember("paris", { trust: "partner" });
    const partner = (await gql(query, await token({ role: "partner", siteId: "paris" }))).body;
    expect(partner.data.callback).toEqual({ confirmation: parisCallback, answer: null, reservationId: null });
    expect(JSON.stringify(partner)).not.toContain("4711");
  });

  it("shows ops everything, and a partner its own site whole and the rest as the federation does, never a customer's contact", async () => {
    const { confirmations, holders } = await threeSitesWithCallbacks();
    await staff("austin", "ivr", { appliance_repair: 1 }, { kind: "ivr", exposure: "internal" });
    const query = `{
      agents { siteId name exposure reservations { id } }
      callbacks { nodes { confirmation contact { phone } reason history { type detail } agent { siteId name } } }
      mesh { self }
    }`;

    const ops = await token({ role: "ops", name: "night lead" });
    const staffView = (await gql(query, ops)).body;
    expect(staffView.errors).toBeUndefined();
    expect(staffView.data.agents).toHaveLength(5);
    expect(staffView.data.agents.every((a: any) => a.name !== null && a.reservations !== null)).toBe(true);
    expect(staffView.data.callbacks.nodes).toHaveLength(3);
    expect(staffView.data.callbacks.nodes[0].contact).toEqual({ phone: "+15125550142" });
    expect(staffView.data.callbacks.nodes[0].reason).toBe("my washing machine stopped spinning");
    expect(staffView.data.callbacks.nodes[0].history.find((e: any) => e.type === "agent_assigned").detail.agentId).toBeDefined();

    // Paris joins as a partner (a partner's token is bound to a partner member's site); the others as the owner's.
    await addMember("paris", { trust: "partner" });
    await addMember("austin");
    await addMember("manila");
    const paris = await token({ role: "partner", siteId: "paris" });
    const partnerView = (await gql(query, paris)).body;
    expect(partnerView.errors).toBeUndefined();
    const bySite = (siteId: string) => partnerView.data.agents.filter((a: any) => a.siteId === siteId);
    // Its own site whole...
    expect(bySite("paris").map((a: any) => a.name).sort()).toEqual(["Agent ana", "Agent dee"]);
    expect(bySite("paris").every((a: any) => a.reservations !== null)).toBe(true);
    // ...the others without names, reservations or internal resources.
    expect(bySite("austin")).toEqual([{ siteId: "austin", name: null, exposure: "FEDERATED", reservations: null }]);
    expect(bySite("manila")).toEqual([{ siteId: "manila", name: null, exposure: "FEDERATED", reservations: null }]);
    // Only the callbacks its own agents hold, and never the customer's contact or words.
    const parisCallback = confirmations.find((c) => holders.get(c)?.startsWith("paris/"));
    expect(partnerView.data.callbacks.nodes.map((n: any) => n.confirmation)).toEqual([parisCallback]);
    const [node] = partnerView.data.callbacks.nodes;
    expect(node).toMatchObject({ contact: null, reason: null, agent: { siteId: "paris", name: "Agent ana" } });
    expect(JSON.stringify(partnerView)).not.toContain("+15125550142");
    expect(JSON.stringify(partnerView)).not.toContain("washing machine");
    // Events carry the customer's view: no agent, site or reservation.
    expect(node.history.find((e: any) => e.type === "agent_assigned").detail).not.toHaveProperty("agentId");
    expect(JSON.stringify(node.history)).not.toContain("siteId");
    // A callback of another site is not there for it.
    const other = confirmations.find((c) => c !== parisCallback) as string;
    expect((await gql(`{ callback(confirmation: "${other}") { confirmation } }`, paris)).body.data).toEqual({ callback: null });
    expect((await gql(`{ callback(confirmation: "${other}") { confirmation agent { siteId } } }`, ops)).body.data.callback.confirmation).toBe(other);
    // Ops-only fields say so.
    const tried = await gql('{ intentAnalysis(providerId: "acme", text: "my dryer is broken") { intent { name } } }', paris);
    expect(tried.body.errors[0].extensions.code).toBe("forbidden");
    expect((await gql('{ intentAnalysis(providerId: "acme", text: "my dryer is broken") { intent { name } } }', ops)).body.data.intentAnalysis.intent.name).toBe("repair");
  });

  it("shows even ops a partner member's site only as the federation sees it", async () => {
    await staff("paris", "ana", { appliance_repair: 5 });
    await staff("austin", "bo", { appliance_repair: 4 });
    await addMember("paris");
    await addMember("austin", { trust: "partner" });
    const agents = (await gql("{ agents { siteId name } }")).body.data.agents;
    expect(agents).toEqual(expect.arrayContaining([{ siteId: "paris", name: "Agent ana" }, { siteId: "austin", name: null }]));
  });
});

describe("limits", () => {
  it("refuses a document thousands of levels deep with 400 query_too_deep before reading it, at the edge and at a site", async () => {
    const deep = `{${" a {".repeat(2999)} b${" }".repeat(3000)}`;
    for (const answer of [await gql(deep), await site("paris", "POST", "/graphql", { query: deep }, ADMIN)]) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors[0].extensions).toMatchObject({ code: "query_too_deep", details: { nesting: 3000 } });
      // Nothing of the runtime in the answer: no stack, no file.
      expect(JSON.stringify(answer.body)).not.toMatch(/\bat \S+ \(|\.ts:\d|\.js:\d|RangeError|Maximum call stack|"stack"/);
    }
  });

  it("refuses operations too deep, with too many aliases, or too costly, before asking any site", async () => {
    const deep = await gql("{ callbacks { nodes { agent { site { agents(first: 1) { callbacks(first: 1) { agent { site { agents(first: 1) { callbacks(first: 1) { agent { site { id } } } } } } } } } } } } }");
    expect(deep.status).toBe(400);
    expect(deep.body.errors.find((e: any) => e.extensions.code === "query_too_deep")).toMatchObject({ extensions: { details: { depth: 13, maxDepth: 12 } } });
    expect(deep.body.extensions?.members).toBeUndefined();
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: mesh { self }`).join(" ");
    const many = await gql(`{ ${aliases} }`);
    expect(many.status).toBe(400);
    expect(many.body.errors[0].extensions.code).toBe("too_many_aliases");
    const costly = await gql("{ agents(first: 100) { callbacks(first: 100) { history(first: 100) { at } } } }");
    expect(costly.status).toBe(400);
    expect(costly.body.errors[0].extensions).toMatchObject({ code: "query_too_costly", details: { maxCost: 25000 } });
    // A bad page size is bad input, as in REST.
    const big = await gql("{ agents(first: 500) { id } }");
    expect(big.body.errors[0].extensions).toMatchObject({ code: "invalid_request", details: { fields: [{ path: "args.first" }] } });
  });
});

describe("the cloud's part", () => {
  it("pages callbacks newest first with cursors, by status and provider, with history and attempts", async () => {
    const { confirmations } = await threeSitesWithCallbacks();
    const first = (await gql("{ callbacks(first: 2) { nodes { confirmation providerId status createdAt } pageInfo { hasNextPage endCursor } } }")).body.data.callbacks;
    expect(first.nodes).toHaveLength(2);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await gql("query($after: String) { callbacks(first: 2, after: $after) { nodes { confirmation } pageInfo { hasNextPage } } }", ADMIN, { after: first.pageInfo.endCursor })).body.data.callbacks;
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const seen = [...first.nodes.map((n: any) => n.confirmation), ...rest.nodes.map((n: any) => n.confirmation)];
    expect([...seen].sort()).toEqual([...confirmations].sort());
    expect(first.nodes[0]).toMatchObject({ providerId: "acme", status: "SCHEDULED" });
    expect((await gql("{ callbacks(status: COMPLETED) { nodes { confirmation } } }")).body.data.callbacks.nodes).toEqual([]);
    const bad = await gql('{ callbacks(after: "nonsense") { nodes { confirmation } } }');
    expect(bad.body.errors[0].extensions.code).toBe("invalid_request");

    const one = (await gql(`{ callback(confirmation: "${confirmations[0]}") {
      status window { start end } intent { intent { name } skills { name level } priority } skill { name }
      history { type at } attempts { n } provider: providerId
    } provider(id: "acme") { name siteIds allowedMedia intents { name } callbacks(first: 1) { nodes { confirmation } } } providers { id } }`)).body;
    expect(one.errors).toBeUndefined();
    expect(one.data.callback).toMatchObject({ status: "SCHEDULED", intent: { intent: { name: "repair" } }, skill: { name: "appliance_repair" }, attempts: [], provider: "acme" });
    expect(one.data.callback.history.map((e: any) => e.type)).toEqual(["received", "intent", "scheduled", "agent_assigned", "notified"]);
    expect(one.data.provider).toMatchObject({ name: "Acme Home Appliances", siteIds: ["austin", "paris", "manila"], callbacks: { nodes: [{ confirmation: expect.any(String) }] } });
    expect(one.data.providers).toEqual([{ id: "acme" }]);
    expect((await gql('{ callback(confirmation: "ZZZZ-ZZZZ-ZZZZ") { status } }')).body.data).toEqual({ callback: null });
  });

  it("shows the mesh's members with their health and their site, and availability across the mesh from digests", async () => {
    await staff("paris", "ana", { appliance_repair: 5 });
    await staff("austin", "bo", { appliance_repair: 2 });
    for (const s of ["paris", "austin"] as const) await addMember(s);
    const { body } = await gql(`{
      mesh { self members { siteId peerId health trust site { id agents { skills { level } } } } }
      meshAvailability(skill: "appliance_repair", minLevel: 3, slotMinutes: 60) { start agents bySite { siteId agents } }
      sites { id health }
    }`);
    expect(body.errors).toBeUndefined();
    expect(body.data.mesh.self).toBe("edge");
    expect(body.data.mesh.members).toEqual([
      { siteId: "austin", peerId: PEERS.austin, health: "down", trust: "enterprise", site: { id: "austin", agents: [{ skills: [{ level: 2 }] }] } },
      { siteId: "paris", peerId: PEERS.paris, health: "down", trust: "enterprise", site: { id: "paris", agents: [{ skills: [{ level: 5 }] }] } },
    ]);
    // No gossip in this test: the mesh view has heard from nobody, so the sites' health says so; the digests are asked for directly.
    expect(body.data.sites).toEqual([
      { id: "austin", health: "down" },
      { id: "paris", health: "down" },
    ]);
    const slots = body.data.meshAvailability as any[];
    expect(slots.length).toBeGreaterThanOrEqual(24);
    expect(slots[0]).toMatchObject({ agents: 1, bySite: [{ siteId: "paris", agents: 1 }] });
  });
});

describe("providers named in a query", () => {
  it("are answered only when registered: an unknown id is null and creates no provider object or shard", async () => {
    await registerAcme();
    const answer = await gql('{ provider(id: "ghost") { id } callbacks(providerId: "ghost") { nodes { confirmation } } }');
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toEqual({ provider: null, callbacks: expect.objectContaining({ nodes: [] }) });
    const ghost = edgeEnv.PROVIDERS.idFromName("ghost").toString();
    expect((await listDurableObjectIds(edgeEnv.PROVIDERS)).map((id) => id.toString())).not.toContain(ghost);
    const ghostShard = edgeEnv.CALLBACK_SHARDS.idFromName("ghost/0").toString();
    expect((await listDurableObjectIds(edgeEnv.CALLBACK_SHARDS)).map((id) => id.toString())).not.toContain(ghostShard);
    expect((await gql('{ provider(id: "acme") { id } }')).body.data.provider).toEqual({ id: "acme" });
  });
});
