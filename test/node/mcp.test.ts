/**
 * An assistant on the local mesh, through the MCP SDK's own client over HTTP: it finds the
 * provider by what the customer says, gets an offer, asks for the callback, and follows it
 * until the agent is connected, all with the tools alone.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Mesh } from "../../federation/node/launcher/mesh.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acmeAllDay, call, eventually, freshMesh } from "./mesh-client.ts";
import { PORTS } from "./ports.ts";

let mesh: Mesh;
let stop: () => Promise<void>;
let client: Client | null = null;

beforeAll(async () => {
  ({ mesh, stop } = await freshMesh("mcp", PORTS.mcp.edge, PORTS.mcp.site));
});

afterAll(async () => {
  await client?.close();
  await stop?.();
});

/** A tool's structured answer; a tool error fails the test with the error it carried. */
async function use(name: string, args: Record<string, unknown>): Promise<any> {
  const result = await client!.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name}: ${JSON.stringify(result.content)}`);
  return result.structuredContent;
}

describe("an assistant on the local mesh", () => {
  it("finds acme by what the customer says, asks for an offer and a callback, and follows it to connected", async () => {
    const admin = { authorization: `Bearer ${mesh.adminToken}` };
    expect((await call(mesh.urls.edge, "POST", "/v1/providers", await acmeAllDay("acme"), admin)).status).toBe(201);
    const agent = { name: "Ana", skills: { appliance_repair: 5 }, channels: ["voice"], languages: ["en"] };
    expect((await call(mesh.urls.sites.austin, "PUT", "/v1/agents/ana", agent, admin)).status).toBe(201);
    expect((await call(mesh.urls.sites.austin, "POST", "/v1/agents/ana/status", { state: "available" }, admin)).status).toBe(200);
    await eventually(
      async () => (await call(mesh.urls.edge, "GET", "/v1/mesh", undefined, admin)).body.members as { siteId: string; agents: { available: number } }[],
      (ms) => ms.some((m) => m.siteId === "austin" && m.agents.available >= 1),
    );

    client = new Client({ name: "test-assistant", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${mesh.urls.edge}/mcp`)));
    const words = "my washing machine stopped spinning halfway through";
    const found = await use("find_provider", { query: words });
    expect(found.results[0]).toMatchObject({ providerId: "acme", intents: expect.arrayContaining(["repair"]) });

    const offer = await use("get_offer", { providerId: found.results[0].providerId, user: { id: "assistant-user" }, reason: words });
    expect(offer.slots.length).toBeGreaterThan(0);
    const requested = await use("request_callback", { indicia: offer.token, when: { asap: true }, media: ["voice"], contact: { phone: "+15125550142" }, reason: words });
    expect(requested).toMatchObject({ confirmation: expect.any(String), verifier: expect.any(String), intent: "repair" });

    const ref = { confirmation: requested.confirmation, verifier: requested.verifier };
    const connected = await eventually(() => use("callback_status", ref), (s) => s.status === "connected");
    expect(connected.history.map((e: { type: string }) => e.type)).toEqual(["received", "intent", "scheduled", "agent_assigned", "notified", "dialing", "outcome", "connected"]);
  });
});
