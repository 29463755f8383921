/** Agents (and other resources) of the roster, their status reports and heartbeats. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { agentInput, resourceId, statusReport } from "../../../objects/roster/model.ts";
import { agentViewSchema, partnerAgentViewSchema, type AgentView, type PartnerAgentView } from "../../../objects/roster/views.ts";
import { allow } from "../../shared/access.ts";
import type { Principal } from "../../shared/auth.ts";
import { ApiError, unwrap } from "../../shared/errors.ts";
import { jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { ownListing, rosterOf, type SiteApp } from "../app-types.ts";
import { isListedOutside, type ListedOutside } from "../../../objects/roster/model.ts";

const params = z.object({ agentId: resourceId });
const tags = ["agents"];

/** An agent as staff see it, or as a partner does. */
const visibleAgent = z.union([agentViewSchema, partnerAgentViewSchema]);

/**
 * What a partner may see of an agent: only what the site lists outside its boundary
 * (federated resources, none when its cap is public), no name, the opaque ref for an id.
 */
function visibleTo(principal: Principal, agent: AgentView, listing: ListedOutside): AgentView | PartnerAgentView | null {
  if (principal.role !== "partner") return { ...agent };
  if (!isListedOutside(agent.exposure, listing)) return null;
  const { id: _id, name: _name, shift: _shift, lastReportAt: _seen, ref, ...rest } = agent;
  return { ...rest, id: ref };
}

/** RPC's serialisable mapping turns a shift's tuples into arrays; the roster returns exactly AgentViews. */
const asView = (agent: object) => agent as AgentView;

/** An agent may act only for itself. */
function assertSelf(principal: Principal, agentId: string): void {
  if (principal.role === "agent" && principal.agentId !== agentId) {
    throw new ApiError(403, "forbidden", "an agent may act only for itself", { agentId });
  }
}

export const agents = newApp<SiteApp>()
  .openapi(
    createRoute({
      method: "put",
      path: "/{agentId}",
      operationId: "putAgent",
      tags,
      summary: "Create or replace a resource of the roster",
      ...allow("admin"),
      request: { params, body: jsonBody(agentInput) },
      responses: { 200: jsonAnswer(agentViewSchema, "updated"), 201: jsonAnswer(agentViewSchema, "created"), ...withErrors(413) },
    }),
    async (c) => {
      const { agentId } = c.req.valid("param");
      const { agent, created } = unwrap(await rosterOf(c.env).upsertAgent(agentId, c.req.valid("json")));
      return c.json(asView(agent), created ? 201 : 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{agentId}",
      operationId: "removeAgent",
      tags,
      summary: "Remove a resource that holds no reservation",
      ...allow("admin"),
      request: { params },
      responses: { 204: { description: "removed" }, ...withErrors(404, 409) },
    }),
    async (c) => {
      unwrap(await rosterOf(c.env).removeAgent(c.req.valid("param").agentId));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "listAgents",
      tags,
      summary: "The roster",
      ...allow("admin", "ops", "partner"),
      responses: {
        200: jsonAnswer(z.strictObject({ agents: z.array(visibleAgent) }).meta({ id: "Roster" }), "the roster (a partner sees PartnerAgents, never internal ones)"),
        ...withErrors(),
      },
    }),
    async (c) => {
      const principal = c.get("principal") as Principal;
      const list = await rosterOf(c.env).listAgents();
      const listing = principal.role === "partner" ? await ownListing(c.env) : "federated";
      return c.json({ agents: list.map((a) => visibleTo(principal, asView(a), listing)).filter((a) => a !== null) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{agentId}",
      operationId: "getAgent",
      tags,
      summary: "One resource with its state and expected availability",
      ...allow("admin", "ops", "agent", "partner"),
      request: { params },
      responses: { 200: jsonAnswer(visibleAgent, "the agent (a PartnerAgent for a partner; an agent sees only itself)"), ...withErrors(404) },
    }),
    async (c) => {
      const principal = c.get("principal") as Principal;
      const { agentId } = c.req.valid("param");
      assertSelf(principal, agentId);
      // A partner knows agents by their opaque ref only: a roster id, known or not, is just not found.
      const found = await rosterOf(c.env).getAgent(agentId, principal.role === "partner" ? "ref" : "id");
      const listing = principal.role === "partner" ? await ownListing(c.env) : "federated";
      const agent = found.ok ? visibleTo(principal, asView(found.value), listing) : null;
      if (!agent) throw new ApiError(404, "agent_not_found", `no agent ${agentId} at this site`, { agentId });
      return c.json(agent, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{agentId}/status",
      operationId: "reportAgentStatus",
      tags,
      summary: "Status report (also a heartbeat); illegal transitions are 409 with the allowed moves",
      ...allow("admin", "agent"),
      request: { params, body: jsonBody(statusReport) },
      responses: { 200: jsonAnswer(agentViewSchema, "the agent"), ...withErrors(404, 409, 413) },
    }),
    async (c) => {
      const { agentId } = c.req.valid("param");
      assertSelf(c.get("principal") as Principal, agentId);
      return c.json(asView(unwrap(await rosterOf(c.env).reportStatus(agentId, c.req.valid("json")))), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{agentId}/heartbeat",
      operationId: "agentHeartbeat",
      tags,
      summary: "Heartbeat: keeps the agent from being marked unreachable",
      ...allow("admin", "agent"),
      // The body (`{}` by API.md) carries nothing, so none is required.
      request: { params },
      responses: { 204: { description: "seen" }, ...withErrors(404) },
    }),
    async (c) => {
      const { agentId } = c.req.valid("param");
      assertSelf(c.get("principal") as Principal, agentId);
      unwrap(await rosterOf(c.env).heartbeat(agentId));
      return c.body(null, 204);
    },
  );
