/**
 * The agent's desk at the edge: what the /desk page calls. An agent signs in with the
 * member token its site signed, and from this one origin sees its state (read and
 * reported at its site, with that same token), its callbacks (from the callback
 * shards), and a live feed of their changes (a WebSocket on its desk feed object).
 * The actions on a callback are the callbacks routes' (annotate, answer, transfer, complete).
 */
import { createRoute } from "@hono/zod-openapi";
import { decodeJwt } from "jose";
import { z } from "zod";
import { deskCallbackSchema, type DeskCallback } from "../../../objects/callback-cloud/desk-reads.ts";
import { DESK_PROTOCOL, deskName, tokenFromProtocols } from "../../../objects/desk-feed/changes.ts";
import { DESK_EXPIRES_HEADER } from "../../../objects/desk-feed/desk-feed.ts";
import { statusReport } from "../../../objects/roster/model.ts";
import { agentViewSchema } from "../../../objects/roster/views.ts";
import { SiteClient, type SiteAnswer } from "../../../federation/runtime/site-client.ts";
import { allow } from "../../shared/access.ts";
import { principalOf, type Principal } from "../../shared/auth.ts";
import { ApiError, errorBody } from "../../shared/errors.ts";
import { jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { edgeAuth, everyShard, type EdgeApp } from "../app-types.ts";
import type { EdgeEnv } from "../env.ts";

const tags = ["desk"];
type AgentPrincipal = Extract<Principal, { role: "agent" }>;

const deskSchema = z
  .strictObject({
    agent: agentViewSchema.nullable().meta({ description: "The agent at its site (null when the token is the edge's, which names no roster entry)" }),
    callbacks: z.array(deskCallbackSchema),
  })
  .meta({ id: "Desk", description: "An agent's desk: its state at its site and the callbacks it holds (or closed within the hour), soonest first." });

/** The agent's site and ref, as the cloud knows it ("<siteId>:<ref>" in the principal). */
function agentOf(principal: Principal | null): AgentPrincipal & { siteId: string; ref: string } {
  if (principal?.role !== "agent") throw new ApiError(403, "forbidden", "the desk is for agents");
  const [siteId, ref] = principal.agentId.split(":");
  if (!siteId || !ref) throw new ApiError(403, "forbidden", "the token names no agent of a site");
  return { ...principal, siteId, ref };
}

/** The bearer token as given: the site checks it again, as its own. */
const bearerOf = (header: string | undefined) => header?.replace(/^Bearer\s+/i, "") ?? "";

function siteAnswer<T>(answer: SiteAnswer<{ body: T | null }>, siteId: string): T | null {
  if (answer.ok) return answer.value.body;
  if (answer.status >= 500 || answer.code === "unknown_site") {
    throw new ApiError(503, "site_unreachable", `your site (${siteId}) did not answer; try again in a moment`, null, { "retry-after": "5" });
  }
  throw new ApiError(answer.status === 401 ? 401 : (answer.status as 403 | 404 | 409), answer.code, answer.message, answer.details ?? null);
}

/** The agent's own state call at its site: it needs the site's member token (the roster id is in it). */
function atSite(env: EdgeEnv, agent: AgentPrincipal & { siteId: string }, token: string) {
  if (!agent.rosterId) {
    throw new ApiError(422, "site_token_required", "state is reported with the token your site signed (POST /v1/tokens at your site), not an edge token");
  }
  const path = `/v1/agents/${encodeURIComponent(agent.rosterId)}`;
  const sites = new SiteClient(env);
  return {
    get: () => sites.asAgent<z.infer<typeof agentViewSchema>>(agent.siteId, token, "GET", path),
    status: (body: unknown) => sites.asAgent<z.infer<typeof agentViewSchema>>(agent.siteId, token, "POST", `${path}/status`, body),
    heartbeat: () => sites.asAgent<null>(agent.siteId, token, "POST", `${path}/heartbeat`),
  };
}

/** Every shard of every provider is asked: an agent may serve any provider its site does. */
async function callbacksOf(env: EdgeEnv, agent: { siteId: string; ref: string }): Promise<DeskCallback[]> {
  const lists = await Promise.all((await everyShard(env)).map((s) => s.deskCallbacks({ role: "agent", siteId: agent.siteId, agentId: agent.ref })));
  const soonest = (d: DeskCallback) => Date.parse(d.callback.scheduledFor ?? d.callback.window.start);
  return lists.flat().sort((a, b) => soonest(a) - soonest(b));
}

export const desk = newApp<EdgeApp>()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "getDesk",
      tags,
      summary: "The agent's desk: its state and its callbacks with what the customer gave",
      ...allow("agent"),
      responses: { 200: jsonAnswer(deskSchema, "the desk"), ...withErrors(503) },
    }),
    async (c) => {
      const agent = agentOf(c.get("principal"));
      const [state, callbacks] = await Promise.all([
        agent.rosterId ? atSite(c.env, agent, bearerOf(c.req.header("authorization"))).get().then((a) => siteAnswer(a, agent.siteId)) : null,
        callbacksOf(c.env, agent),
      ]);
      return c.json({ agent: state, callbacks }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/status",
      operationId: "reportDeskStatus",
      tags,
      summary: "Report the agent's state at its site (also a heartbeat)",
      ...allow("agent"),
      request: { body: jsonBody(statusReport) },
      responses: { 200: jsonAnswer(agentViewSchema, "the agent"), ...withErrors(409, 413, 422, 503) },
    }),
    async (c) => {
      const agent = agentOf(c.get("principal"));
      const answer = await atSite(c.env, agent, bearerOf(c.req.header("authorization"))).status(c.req.valid("json"));
      return c.json(siteAnswer(answer, agent.siteId) as z.infer<typeof agentViewSchema>, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/heartbeat",
      operationId: "deskHeartbeat",
      tags,
      summary: "The desk is open: keeps the agent from being marked unreachable",
      ...allow("agent"),
      responses: { 204: { description: "seen" }, ...withErrors(422, 503) },
    }),
    async (c) => {
      const agent = agentOf(c.get("principal"));
      siteAnswer(await atSite(c.env, agent, bearerOf(c.req.header("authorization"))).heartbeat(), agent.siteId);
      return c.body(null, 204);
    },
  );

/**
 * GET /v1/desk/live: a WebSocket of the agent's desk feed. Browsers cannot put a header
 * on a WebSocket, so the desk offers two subprotocols, `callback-desk.v1` and
 * `bearer.<token>`; the answer selects the first. Messages are JSON:
 * `{ type: "changed", changes: [{ confirmation, type, status, atMs }] }`.
 * Outside the OpenAPI document's routes (an upgrade has no JSON answer); documented there by name.
 */
export async function deskLive(request: Request, env: EdgeEnv): Promise<Response> {
  const refuse = (status: 400 | 401 | 403 | 426, code: string, message: string) =>
    Response.json(errorBody(code, message), { status, headers: status === 426 ? { upgrade: "websocket" } : {} });
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return refuse(426, "upgrade_required", "the live desk is a WebSocket");
  const token = tokenFromProtocols(request.headers.get("sec-websocket-protocol"));
  if (!token) return refuse(401, "unauthorized", `offer the subprotocols ${DESK_PROTOCOL} and bearer.<your token>`);
  const principal = await principalOf(token, edgeAuth(env));
  if (!principal) return refuse(401, "unauthorized", "the token is not valid");
  let agent: ReturnType<typeof agentOf>;
  try {
    agent = agentOf(principal);
  } catch (err) {
    return refuse(403, "forbidden", (err as Error).message);
  }
  const exp = decodeJwt(token).exp;
  if (typeof exp !== "number") return refuse(401, "unauthorized", "the token has no expiry");
  const headers = new Headers(request.headers);
  headers.set(DESK_EXPIRES_HEADER, String(exp * 1000));
  return env.DESKS.getByName(deskName(agent.siteId, agent.ref)).fetch(new Request(request.url, { headers }));
}
