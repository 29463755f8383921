/**
 * The edge's MCP server, through the SDK's own client over Streamable HTTP: an assistant
 * lists the tools, finds a provider by what the customer says, gets an offer, asks for the
 * callback, follows, moves and cancels it; refusals are tool errors with the REST codes.
 */
import { SELF } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_BATCH } from "../../../workers/edge/routes/mcp.ts";
import { edge, MIN, planNow, registerAcme, staff, T0 } from "./helpers.ts";

let client: Client | null = null;
afterEach(async () => {
  await client?.close();
  client = null;
});

async function assistant(): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL("https://edge.test/mcp"), {
    fetch: (url, init) => SELF.fetch(url, init),
    requestInit: { headers: { "cf-connecting-ip": "198.51.100.23" } },
  });
  // workerd refuses code generation: the validator of output schemas must not compile them.
  client = new Client({ name: "test-assistant", version: "1.0.0" }, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  await client.connect(transport);
  return client;
}

/** A tool's answer: its structured content, or (for a tool error) the REST error body it carries. */
async function use(c: Client, name: string, args: Record<string, unknown>) {
  const result = await c.callTool({ name, arguments: args });
  const text = (result.content as { type: string; text: string }[])[0]?.text ?? "null";
  return { isError: result.isError === true, value: (result.structuredContent ?? JSON.parse(text)) as any };
}

describe("MCP at /mcp", () => {
  it("lists the customer's six tools, each with the REST contract's input and output schemas", async () => {
    const { tools } = await (await assistant()).listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["callback_status", "cancel_callback", "find_provider", "get_offer", "request_callback", "reschedule_callback"]);
    for (const t of tools) {
      expect(t.inputSchema.type, t.name).toBe("object");
      expect(t.outputSchema?.type, t.name).toBe("object");
    }
    const request = tools.find((t) => t.name === "request_callback")!;
    expect(request.inputSchema.required).toEqual(expect.arrayContaining(["indicia", "when", "media", "contact", "reason"]));
  });

  it("takes an assistant from the customer's words to a callback, then follows, moves and cancels it", async () => {
    await registerAcme();
    await staff("paris", "ana", { appliance_repair: 5 });
    const c = await assistant();
    const found = await use(c, "find_provider", { query: "my washing machine stopped spinning" });
    expect(found.value.results[0]).toMatchObject({ providerId: "acme", intents: expect.arrayContaining(["repair"]) });

    const offer = await use(c, "get_offer", { providerId: "acme", user: { id: "assistant-user" }, reason: "my washing machine stopped spinning" });
    expect(offer.isError).toBe(false);
    const args = { indicia: offer.value.token, when: { asap: true }, media: ["voice"], contact: { phone: "+15125550142" }, reason: "my washing machine stopped spinning" };
    const requested = await use(c, "request_callback", args);
    expect(requested.value).toMatchObject({ confirmation: expect.any(String), verifier: expect.any(String), intent: "repair" });
    // A retried tool call is the same callback, not a second one.
    expect((await use(c, "request_callback", args)).value.confirmation).toBe(requested.value.confirmation);
    await planNow();

    const ref = { confirmation: requested.value.confirmation, verifier: requested.value.verifier };
    expect((await use(c, "callback_status", ref)).value).toMatchObject({ status: "scheduled", scheduledFor: new Date(T0).toISOString() });
    const window = { start: new Date(T0 + 30 * MIN).toISOString(), end: new Date(T0 + 90 * MIN).toISOString() };
    const moved = await use(c, "reschedule_callback", { ...ref, when: window });
    expect(moved.value).toMatchObject({ status: "scheduled", window });
    expect((await use(c, "cancel_callback", ref)).value.status).toBe("cancelled");
  });

  it("answers a refusal as a tool error carrying the REST route's error body", async () => {
    await registerAcme();
    const c = await assistant();
    const unknown = await use(c, "callback_status", { confirmation: "AAAA-BBBB-CCCC", verifier: "nope" });
    expect(unknown).toMatchObject({ isError: true, value: { error: { code: "callback_not_found" } } });
    const bad = await use(c, "request_callback", { indicia: "x", when: { asap: true }, media: ["pigeon"], contact: {}, reason: "" });
    expect(bad.isError).toBe(true);
    expect(bad.value.error.code).toBe("invalid_request");
    expect(bad.value.error.details.fields.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(["body.indicia", "body.media.0"]));
    const noProvider = await use(c, "get_offer", { providerId: "nobody", user: { id: "u" } });
    expect(noProvider.value.error.code).toBe("provider_not_found");
    expect((await use(c, "no_such_tool", {})).value.error.code).toBe("unknown_tool");
  });

  it("is POST only, stateless (a GET for a stream is 405), with a few messages to a batch", async () => {
    // JSON-RPC, not a REST operation: /mcp is outside the OpenAPI document (its tools are the documented routes).
    const res = await edge("GET", "/mcp", undefined, null, { accept: "text/event-stream" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    // A batch is a few calls, not a hundred route calls for one request.
    const call = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "find_provider", arguments: { query: "repair" } } });
    const batch = await edge("POST", "/mcp", Array.from({ length: MAX_BATCH + 1 }, (_, i) => call(i)), null, { accept: "application/json, text/event-stream" });
    expect(batch.status).toBe(400);
    expect(batch.body.error.message).toMatch(/at most 10 messages/);
  });
});
