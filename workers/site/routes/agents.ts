/** Agents (and other resources) of the roster, their status reports and heartbeats. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { agentInput, resourceId, statusReport } from "../../../objects/roster/model.ts";
import type { AgentView } from "../../../objects/roster/roster.ts";
import { requireRole, type Principal } from "../../shared/auth.ts";
import { ApiError, unwrap } from "../../shared/errors.ts";
import { anyJson, jsonAnswer, jsonBody, newApp, withErrors } from "../../shared/openapi.ts";
import { rosterOf, type SiteApp } from "../app-types.ts";

const params = z.object({ agentId: resourceId });
const tags = ["agents"];

/** What a partner may see of an agent: no name, no internal resources, the opaque ref for an id. */
function visibleTo<A extends Pick<AgentView, "id" | "ref" | "name" | "exposure" | "lastReportAt"> & { shift: unknown }>(
  principal: Principal,
  agent: A,
): Record<string, unknown> | null {
  if (principal.role !== "partner") return { ...agent };
  if (agent.exposure === "internal") return null;
  const { id: _id, name: _name, shift: _shift, lastReportAt: _seen, ref, ...rest } = agent;
  return { ...rest, id: ref };
}

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
      tags,
      summary: "Create or replace a resource of the roster",
      middleware: [requireRole("admin")] as const,
      request: { params, body: jsonBody(agentInput) },
      responses: { 200: jsonAnswer(anyJson, "updated"), 201: jsonAnswer(anyJson, "created"), ...withErrors(413) },
    }),
    async (c) => {
      const { agentId } = c.req.valid("param");
      const { agent, created } = unwrap(await rosterOf(c.env).upsertAgent(agentId, c.req.valid("json")));
      return c.json(agent, created ? 201 : 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{agentId}",
      tags,
      summary: "Remove a resource that holds no reservation",
      middleware: [requireRole("admin")] as const,
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
      tags,
      summary: "The roster",
      middleware: [requireRole("admin", "ops", "partner")] as const,
      responses: { 200: jsonAnswer(anyJson, "the roster"), ...withErrors() },
    }),
    async (c) => {
      const principal = c.get("principal") as Principal;
      const list = await rosterOf(c.env).listAgents();
      return c.json({ agents: list.map((a) => visibleTo(principal, a)).filter((a) => a !== null) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{agentId}",
      tags,
      summary: "One resource with its state and expected availability",
      middleware: [requireRole("admin", "ops", "agent", "partner")] as const,
      request: { params },
      responses: { 200: jsonAnswer(anyJson, "the agent"), ...withErrors(404) },
    }),
    async (c) => {
      const principal = c.get("principal") as Principal;
      const { agentId } = c.req.valid("param");
      assertSelf(principal, agentId);
      const agent = visibleTo(principal, unwrap(await rosterOf(c.env).getAgent(agentId)));
      if (!agent) throw new ApiError(404, "agent_not_found", `no agent ${agentId} at this site`, { agentId });
      return c.json(agent, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{agentId}/status",
      tags,
      summary: "Status report (also a heartbeat); illegal transitions are 409 with the allowed moves",
      middleware: [requireRole("admin", "agent")] as const,
      request: { params, body: jsonBody(statusReport) },
      responses: { 200: jsonAnswer(anyJson, "the agent"), ...withErrors(404, 409) },
    }),
    async (c) => {
      const { agentId } = c.req.valid("param");
      assertSelf(c.get("principal") as Principal, agentId);
      return c.json(unwrap(await rosterOf(c.env).reportStatus(agentId, c.req.valid("json"))), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{agentId}/heartbeat",
      tags,
      summary: "Heartbeat: keeps the agent from being marked unreachable",
      middleware: [requireRole("admin", "agent")] as const,
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
