import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
// Answers checked against the OpenAPI document.
import { api, report } from "./contract.ts";
import { agentToken, CLOUD, PEER, putAgent, useClock } from "./helpers.ts";

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
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("not-the-site-secret-not-the-site-secret"));
    expect((await report("ana", "available", undefined, forged)).status).toBe(401);
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
});
