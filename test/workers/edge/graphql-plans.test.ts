/**
 * Planned documents at the edge (federation/runtime/gateway/plans.ts, planned.ts): a query of
 * the sites' own fields is sent to each member as written and merged by the gateway,
 * without stitching. It must answer exactly what stitching answers. `__typename` at
 * the root has no plan, so the same query with it added is the stitched answer.
 */
import { SELF } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { ADMIN, edge, PEERS, staff } from "./helpers.ts";
import { graphqlCall } from "../../http-call.ts";


/** The answer's status beside its data, errors and extensions: plans and stitching are compared whole. */
async function gql(query: string, variables?: Record<string, unknown>, token = ADMIN): Promise<any> {
  const answer = await graphqlCall(SELF, "https://edge.test/graphql", query, { token, variables });
  return { status: answer.status, ...(answer.body as object) };
}

/** The same operation with `__typename` added at its root: no plan, so stitching answers it. */
const stitched = (query: string) => query.replace(/\{/, "{ __typename ");

/**
 * The answer without what differs by the path taken: the root `__typename`, how many
 * requests each member was sent, and where in the text an error points (the added
 * `__typename` moves it).
 */
function comparable(answer: any): unknown {
  const { extensions: _, ...rest } = answer;
  if (rest.data) {
    const { __typename: __, ...data } = rest.data;
    rest.data = data;
  }
  if (rest.errors) rest.errors = rest.errors.map(({ locations: ___, ...e }: any) => e);
  return rest;
}

beforeEach(async () => {
  await staff("paris", "ana", { appliance_repair: 5 });
  await staff("paris", "dee", { billing: 2 });
  await staff("austin", "bo", { appliance_repair: 4, billing: 1 });
  await staff("manila", "cy", { appliance_repair: 3 }, { exposure: "internal" });
});

describe("a planned document", () => {
  const queries: [string, string, Record<string, unknown>?][] = [
    ["agents merged by id, without asking for the id", "{ agents { siteId name state } }"],
    [
      "aliases, fragments, variables, a page, sites and one site by id",
      `query Page($n: Int, $id: ID!, $skill: String) {
        first: agents(first: $n, skill: $skill) { id ...Who skills { name level } }
        all: sites { id agents(first: 1) { id } }
        one: site(id: $id) { id agents { ... on Agent { name } } }
        none: site(id: "lyon") { id }
      }
      fragment Who on Agent { siteId name exposure }`,
      { n: 2, id: "austin", skill: "appliance_repair" },
    ],
    ["a page after an id", '{ agents(first: 2, after: "a") { id siteId } }'],
  ];
  for (const [what, query, variables] of queries) {
    it(`answers as stitching does: ${what}`, async () => {
      const planned = await gql(query, variables);
      expect(planned.status).toBe(200);
      expect(planned.errors).toBeUndefined();
      expect(comparable(planned)).toEqual(comparable(await gql(stitched(query), variables)));
      // One request to each member asked, and none to a member no field names.
      for (const s of Object.values(planned.extensions.members) as { requests: number }[]) expect(s.requests).toBe(1);
    });
  }

  it("answers a partner as stitching does: its own site whole, the others as the federation sees them", async () => {
    // A partner's token is bound to a partner member's site.
    for (const [siteId, peerId] of Object.entries(PEERS)) {
      await edge("POST", "/v1/federation/members", { siteId, peerId, trust: siteId === "paris" ? "partner" : "enterprise" }, ADMIN);
    }
    const token = (await edge("POST", "/v1/tokens", { role: "partner", siteId: "paris" }, ADMIN)).body.token as string;
    const query = "{ agents { siteId name lastReportAt } }";
    const planned = await gql(query, undefined, token);
    expect(planned.data.agents.filter((a: any) => a.name !== null).map((a: any) => a.siteId)).toEqual(["paris", "paris"]);
    expect(comparable(planned)).toEqual(comparable(await gql(stitched(query), undefined, token)));
  });

  it("leaves what a site must not answer to stitching: the edge's health of a site, the cloud's callbacks", async () => {
    for (const [siteId, peerId] of Object.entries(PEERS)) {
      expect((await edge("POST", "/v1/federation/members", { siteId, peerId }, ADMIN)).status).toBe(201);
    }
    // No gossip here: the edge's mesh view has heard from no member, so stitching answers "down" where a site says "up".
    const health = await gql("{ sites { id health } agents { id callbacks { confirmation } } }");
    expect(health.errors).toBeUndefined();
    expect(health.data.sites.map((s: any) => s.health)).toEqual(["down", "down", "down"]);
    expect(health.data.agents.every((a: any) => Array.isArray(a.callbacks))).toBe(true);
  });

  it("goes through stitching when a site answers with errors of its own, with the same answer", async () => {
    const query = '{ agents(skill: "not a skill!") { id } }';
    const planned = await gql(query);
    expect(planned.errors?.length).toBeGreaterThan(0);
    expect(planned.errors.every((e: any) => e.extensions.code === "invalid_request")).toBe(true);
    expect(comparable(planned)).toEqual(comparable(await gql(stitched(query))));
  });

  it("refuses a page over the limit as stitching does, before asking any site", async () => {
    const planned = await gql("query($n: Int) { agents(first: $n) { id } }", { n: 500 });
    expect(planned.errors[0].extensions).toMatchObject({ code: "invalid_request", details: { fields: [{ path: "args.first" }] } });
    expect(planned.extensions?.members).toBeUndefined();
  });
});
