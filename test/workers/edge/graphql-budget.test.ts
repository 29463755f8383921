/**
 * The edge's GraphQL budget per caller: the federated schema (/graphql) and the cloud
 * subgraph (/graphql/cloud) spend from one budget per principal, refused with 429
 * `rate_limited` and Retry-After in the API's error shape; each caller has its own.
 * Also: the federated schema counts a site's availability by its window. The budget's
 * clock is the project's one clock, moved by the test.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_COST_PER_MINUTE } from "../../../workers/shared/graphql/budget.ts";
import { edge } from "./contract.ts";
import { ADMIN, T0 } from "./helpers.ts";
import { graphqlCall } from "../../http-call.ts";
import { projectClock } from "../project-clock.ts";

/** Counted as 1 + 100 × (1 + 10 × (1 + 10)); answered at once with no provider registered. */
const COSTLY = "{ providers(first: 100) { intents { skills { name } } } }";
const COSTLY_COST = 1 + 100 * (1 + 10 * (1 + 10));

const gql = (query: string, token = ADMIN, path = "/graphql") => graphqlCall(SELF, `https://edge.test${path}`, query, { token });

describe("a caller's GraphQL budget at the edge", () => {
  it("is one budget for both endpoints: past it, 429 rate_limited with Retry-After until the minute has moved on", async () => {
    const clock = projectClock;
    const fits = Math.floor(DEFAULT_COST_PER_MINUTE / COSTLY_COST);
    for (let i = 0; i < fits; i++) {
      const answer = await gql(COSTLY, ADMIN, i % 2 === 0 ? "/graphql" : "/graphql/cloud");
      expect(answer.status, `query ${i + 1} of ${fits}`).toBe(200);
      await clock.advance(1_000);
    }
    for (const path of ["/graphql", "/graphql/cloud"]) {
      // Checked against the contract: the 429 is documented on both routes.
      const refused = await edge("POST", path, { query: COSTLY }, ADMIN);
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatchObject({ code: "rate_limited", details: { limit: "graphql", max: DEFAULT_COST_PER_MINUTE, cost: COSTLY_COST, retryAfterSeconds: 60 - fits } });
      expect(refused.headers.get("retry-after")).toBe(String(60 - fits));
    }
    // Another principal spends from its own budget.
    const ops = (await edge("POST", "/v1/tokens", { role: "ops", name: "dana" }, ADMIN)).body.token as string;
    expect((await gql(COSTLY, ops)).status).toBe(200);
    // 60 s after the first, it has left the window: one more fits.
    await clock.set(T0 + 60_000);
    expect((await gql(COSTLY, ADMIN, "/graphql/cloud")).status).toBe(200);
    expect((await gql(COSTLY, ADMIN)).status).toBe(429);
  });

  it("counts a site's availability in the federated schema by its window, and refuses one past the bounds", async () => {
    const window = (days: number, slotMinutes: number, alias: string) =>
      `${alias}: availability(skill: "billing", channel: VOICE, from: "2030-01-09T00:00:00Z", to: "${new Date(Date.parse("2030-01-09T00:00:00Z") + days * 86_400_000).toISOString()}", slotMinutes: ${slotMinutes}) { start end capacity }`;
    const thirty = Array.from({ length: 30 }, (_, i) => window(14, 5, `a${i}`)).join(" ");
    const costly = await gql(`{ site(id: "paris") { ${thirty} } }`);
    expect(costly.status).toBe(400);
    expect(costly.body.errors[0].extensions.code).toBe("query_too_costly");
    const long = await gql(`{ site(id: "paris") { ${window(15, 15, "a")} } }`);
    expect(long.status).toBe(400);
    expect(long.body.errors[0].extensions).toMatchObject({ code: "invalid_request", details: { fields: [{ path: "args.to" }] } });
  });
});
