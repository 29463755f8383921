import { describe, expect, it } from "vitest";
import { api } from "./helpers.ts";

describe("the site's REST contract", () => {
  it("is published as OpenAPI, with every route the Worker serves", async () => {
    const res = await api("GET", "/openapi.json", undefined, null);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths).sort()).toEqual([
      "/federation/digest",
      "/federation/digests",
      "/federation/membership",
      "/federation/peer",
      "/federation/reservations",
      "/federation/reservations/{reservationId}",
      "/federation/reservations/{reservationId}/claim",
      "/federation/reservations/{reservationId}/release",
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
});
