/**
 * MCP for assistants at /mcp: Streamable HTTP, stateless, JSON answers (one server and
 * transport per request, as the SDK's web-standard transport requires). Its tools are the
 * customer's REST routes, each tool call one call to the edge's own route with the caller's
 * address: inputs and outputs are the REST contract's schemas, and a refusal is a tool error
 * carrying the same error body (code, message, details), limits and all. The tools are
 * served with the low-level server so that the route, not the SDK, validates the input: an
 * invalid argument is the contract's 400 `invalid_request` naming the field.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import type { Context, ExecutionContext } from "hono";
import { z } from "zod";
import { callbackRequest, callbackWhen, interactionRequest } from "../../../objects/callback-cloud/requests.ts";
import { callbackViewSchema } from "../../../objects/callback-cloud/views.ts";
import { sha256Hex } from "../../../objects/shared/key-hash.ts";
import type { EdgeApp } from "../app-types.ts";
import { requestedCallbackSchema } from "./callbacks.ts";
import { directoryResultsSchema } from "./directory.ts";
import { offerSchema } from "./interactions.ts";

/** One call to the edge's own routes, as the MCP caller (its address) makes it. */
type CallRoute = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: unknown }>;

const callbackRef = { confirmation: z.string().min(1).max(32), verifier: z.string().min(1).max(64) };
const refPath = (a: { confirmation: string; verifier: string }) => `/v1/callbacks/${encodeURIComponent(a.confirmation)}?verifier=${encodeURIComponent(a.verifier)}`;

/** A tool: its description, the REST schemas it speaks, and the route call it is. */
interface ToolSpec {
  description: string;
  input: z.ZodObject;
  output: z.ZodObject;
  call: (args: Record<string, unknown>, route: CallRoute) => ReturnType<CallRoute>;
}

/** A schema as a tool's JSON Schema: a top-level object (an `id` at the root would make it a bare $ref). */
const asToolSchema = (schema: z.ZodObject, io: "input" | "output") =>
  z.toJSONSchema(z.object(schema.shape), { io, unrepresentable: "any" }) as Tool["inputSchema"];

const TOOLS: Record<string, ToolSpec> = {
  find_provider: {
    description: "Find the companies (providers) that can call the customer back about what they need, from their own words or a company's name. Answers the best matches with the intents they match.",
    input: z.object({ query: z.string().meta({ description: "What the customer needs, in their words, or a company's name" }) }),
    output: directoryResultsSchema,
    call: (a, route) => route("GET", `/v1/directory?q=${encodeURIComponent(String(a.query ?? ""))}`),
  },
  get_offer: {
    description: "Ask a provider for a callback offer for this customer: free slots, channels, the estimated wait, and the signed offer token (`token`) that request_callback takes as `indicia`.",
    input: z.object({ providerId: interactionRequest.shape.providerId, user: interactionRequest.shape.user, reason: z.string().max(2000).optional() }),
    output: offerSchema,
    call: (a, route) => route("POST", "/v1/interactions", { providerId: a.providerId, user: a.user, ...(a.reason !== undefined ? { context: { reason: a.reason } } : {}) }),
  },
  request_callback: {
    description: "Ask for the callback with an offer's token (`indicia`): as soon as possible or within a window, by the media the customer accepts. Answers the confirmation and the verifier the customer keeps. Sent again with the same arguments it answers the same callback.",
    input: callbackRequest,
    output: requestedCallbackSchema,
    // The same arguments are the same request: a retried tool call never makes a second callback.
    call: async (a, route) => route("POST", "/v1/callbacks", a, { "idempotency-key": `mcp-${(await sha256Hex(JSON.stringify(a))).slice(0, 48)}` }),
  },
  callback_status: {
    description: "A callback's status, when it is planned for, its attempts and its history, by its confirmation and verifier.",
    input: z.object(callbackRef),
    output: callbackViewSchema,
    call: (a, route) => route("GET", refPath(a as { confirmation: string; verifier: string })),
  },
  cancel_callback: {
    description: "Cancel a callback, by its confirmation and verifier. Cancelling again answers the same.",
    input: z.object(callbackRef),
    output: callbackViewSchema,
    call: (a, route) => route("DELETE", refPath(a as { confirmation: string; verifier: string })),
  },
  reschedule_callback: {
    description: "Move a callback to another window (or as soon as possible). It keeps its time when nobody can take it in the new window (error no_agent_in_window).",
    input: z.object({ ...callbackRef, when: callbackWhen }),
    output: callbackViewSchema,
    call: (a, route) => route("PATCH", refPath(a as { confirmation: string; verifier: string }), { when: a.when }),
  },
};

const LISTED: Tool[] = Object.entries(TOOLS).map(([name, t]) => ({
  name,
  description: t.description,
  inputSchema: asToolSchema(t.input, "input"),
  outputSchema: asToolSchema(t.output, "output"),
}));

function mcpServer(route: CallRoute): Server {
  const server = new Server({ name: "callback-mesh", version: "1.0.0" }, { capabilities: { tools: {} }, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: LISTED }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const tool = TOOLS[request.params.name];
    if (!tool) return refusal({ error: { code: "unknown_tool", message: `no tool ${request.params.name}; the tools are ${Object.keys(TOOLS).join(", ")}`, details: null } });
    const answer = await tool.call(request.params.arguments ?? {}, route);
    if (answer.status >= 400) return refusal(answer.body);
    return { content: [{ type: "text", text: JSON.stringify(answer.body) }], structuredContent: answer.body as Record<string, unknown> };
  });
  return server;
}

/** JSON-RPC messages one request may carry. */
export const MAX_BATCH = 10;

const parsedOrNull = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
};

/** A tool error: the route's error body, as it answered it. */
const refusal = (body: unknown): CallToolResult => ({ content: [{ type: "text", text: JSON.stringify(body) }], isError: true });

/** Serves one MCP request; `app` is the edge itself, which each tool calls as the MCP caller. */
export async function serveMcp(c: Context<EdgeApp>, app: { fetch: (req: Request, env: EdgeApp["Bindings"], ctx: ExecutionContext) => Response | Promise<Response> }): Promise<Response> {
  if (c.req.method !== "POST") {
    // Stateless: no stream to open (GET) and no session to end (DELETE).
    return c.json({ jsonrpc: "2.0", error: { code: -32000, message: "method not allowed: POST JSON-RPC to /mcp" }, id: null }, 405, { allow: "POST" });
  }
  const origin = new URL(c.req.url).origin;
  const address = c.req.header("cf-connecting-ip");
  const route: CallRoute = async (method, path, body, headers = {}) => {
    const res = await app.fetch(
      new Request(`${origin}${path}`, {
        method,
        headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(address ? { "cf-connecting-ip": address } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      c.env,
      c.executionCtx,
    );
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
  // A batch is many tool calls for one request: a few, not the SDK's hundred (each is a route call of its own).
  const text = await c.req.text();
  const batch = parsedOrNull(text);
  if (Array.isArray(batch) && batch.length > MAX_BATCH) {
    return c.json({ jsonrpc: "2.0", error: { code: -32600, message: `at most ${MAX_BATCH} messages in a batch` }, id: null }, 400);
  }
  const server = mcpServer(route);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  return transport.handleRequest(new Request(c.req.raw, { body: text }));
}

