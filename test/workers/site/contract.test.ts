import { describe, expect, it } from "vitest";
import committed from "../../../schema/openapi/site.json" with { type: "json" };
import { portable } from "../../../schema/openapi/portable.ts";
import { incompleteness, type OpenApiDocument } from "../contract-check.ts";
import { api, siteContract } from "./contract.ts";
import { agentToken, putAgent } from "./helpers.ts";

describe("the site's REST contract", () => {
  it("is published as OpenAPI, with every route the Worker serves", async () => {
    const res = await api("GET", "/openapi.json", undefined, null);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths).sort()).toEqual([
      "/",
      "/docs",
      "/federation/digest",
      "/federation/digests",
      "/federation/membership",
      "/federation/peer",
      "/federation/reservations",
      "/federation/reservations/{reservationId}",
      "/federation/reservations/{reservationId}/claim",
      "/federation/reservations/{reservationId}/release",
      "/graphql",
      "/healthz",
      "/openapi.json",
      "/v1/agents",
      "/v1/agents/{agentId}",
      "/v1/agents/{agentId}/heartbeat",
      "/v1/agents/{agentId}/status",
      "/v1/availability",
      "/v1/mesh",
      "/v1/tokens",
    ]);
    expect(res.body.paths["/v1/agents/{agentId}"].put.requestBody.content["application/json"].schema.properties).toHaveProperty(
      "skills",
    );
  });

  it("is the committed schema/openapi/site.json (npm run codegen), served for this site's origin", async () => {
    const res = await api("GET", "/openapi.json", undefined, null);
    expect(res.body.servers).toEqual([{ url: "http://paris.test", description: "site paris" }]);
    expect(portable(res.body), "the Worker's contract changed: run npm run codegen").toEqual(committed);
  });

  it("gives every operation an operationId, tags, who may call it, and a schema for every answer", () => {
    expect(incompleteness(committed as unknown as OpenApiDocument)).toEqual([]);
    expect(committed.tags.map((t) => t.name)).toEqual(["agents", "availability", "tokens", "graphql", "service", "federation"]);
    expect(siteContract.operation("post", "/graphql")?.op["x-roles"]).toEqual(["admin", "ops", "partner", "cloud"]);
    expect(siteContract.operation("get", "/v1/agents/ana")?.op["x-roles"]).toEqual(["admin", "ops", "agent", "partner"]);
    expect(siteContract.operation("post", "/federation/reservations")?.op.security).toEqual([{ bearer: ["admin", "cloud"] }]);
  });

  it("documents what staff and partners each see of an agent", async () => {
    await putAgent("ana");
    await putAgent("ivy", { exposure: "internal" });
    const partner = (await api("POST", "/v1/tokens", { role: "partner", partnerId: "austin" })).body.token;
    const seen = await api("GET", "/v1/agents", undefined, partner);
    expect(seen.body.agents).toHaveLength(1);
    expect(seen.body.agents[0]).not.toHaveProperty("name");
    expect((await api("GET", "/v1/agents/ana", undefined, await agentToken("ana"))).status).toBe(200);
    expect((await api("GET", "/v1/agents/ivy", undefined, partner)).status).toBe(404);
    expect((await api("DELETE", "/v1/agents/ana")).status).toBe(204);
  });
});
