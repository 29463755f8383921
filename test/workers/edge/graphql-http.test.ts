/**
 * GraphQL over HTTP at the edge, checked with graphql-http's own audit suite (the
 * spec's reference implementation): every MUST and SHOULD through the gateway,
 * with an ops token added to each request (anonymous callers get 401 first).
 */
import { SELF } from "cloudflare:test";
import { serverAudits } from "graphql-http";
import { describe, expect, it } from "vitest";
import { ADMIN } from "./helpers.ts";

const withToken = (input: RequestInfo | URL, init: RequestInit = {}) => {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${ADMIN}`);
  return SELF.fetch(input instanceof URL ? input.href : input, { ...init, headers });
};

describe("GraphQL over HTTP at the edge", () => {
  for (const path of ["/graphql", "/graphql/cloud"]) {
    const audits = serverAudits({ url: `https://edge.test${path}`, fetchFn: withToken });
    it(`passes graphql-http's ${audits.length} server audits at ${path}`, async () => {
      const results = [];
      for (const audit of audits) results.push(await audit.fn());
      const failed = results.filter((r) => r.status !== "ok").map((r) => ({ name: r.name, status: r.status, reason: "reason" in r ? r.reason : "" }));
      expect(failed).toEqual([]);
    });
  }
});
