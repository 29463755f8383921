/**
 * What an agent's desk shows of its callbacks: each one it holds (or closed within the
 * hour), as staff see it, with what the customer gave and the engine made of it
 * (reason, notes, intent, urgency) and the customer's earlier callbacks to the provider.
 * A customer's callbacks all live in one shard (the shard is chosen by the customer),
 * so the earlier ones are found beside the current one.
 */
import { z } from "zod";
import type { CallbackStore } from "./callback-store.ts";
import type { Actor } from "./cloud-context.ts";
import { iso } from "./cloud-context.ts";
import { intentAnalysisSchema, type IntentAnalysis } from "./intent/types.ts";
import type { Sql } from "../shared/sql.ts";
import { callbackViewSchema, type CallbackRow } from "./views.ts";

/** Statuses in which a callback is the agent's to work. */
export const HELD_STATUSES = ["scheduled", "dialing", "connected", "retrying"] as const;
/** How long a closed callback stays on the desk, so the agent sees what it just finished. */
export const RECENT_MS = 60 * 60_000;
/** A desk shows at most this many callbacks per shard, soonest first. */
const DESK_LIMIT = 50;
const PREVIOUS_LIMIT = 5;

export const previousCallbackSchema = z
  .strictObject({
    confirmation: z.string(),
    status: z.string(),
    createdAt: z.string(),
    reason: z.string(),
    answer: z.string().nullable(),
  })
  .meta({ id: "PreviousCallback", description: "An earlier callback of the same customer to the same provider." });

export const deskCallbackSchema = z
  .strictObject({
    providerId: z.string(),
    callback: callbackViewSchema,
    analysis: intentAnalysisSchema,
    previous: z.array(previousCallbackSchema).meta({ description: `The customer's earlier callbacks to this provider, newest first (at most ${PREVIOUS_LIMIT}).` }),
  })
  .meta({ id: "DeskCallback", description: "A callback on an agent's desk: the staff view, the intent analysis, and the customer's earlier callbacks." });
export type DeskCallback = z.infer<typeof deskCallbackSchema>;

export function deskCallbacks(sql: Sql, store: CallbackStore, providerId: string, actor: Extract<Actor, { role: "agent" }>, nowMs: number): DeskCallback[] {
  const rows = sql<CallbackRow>`SELECT * FROM callbacks WHERE site_id = ${actor.siteId} AND agent_id = ${actor.agentId}
      AND (status IN (SELECT value FROM json_each(${JSON.stringify(HELD_STATUSES)})) OR updated_at_ms >= ${nowMs - RECENT_MS})
    ORDER BY coalesce(scheduled_for_ms, window_start_ms), confirmation LIMIT ${DESK_LIMIT}`.toArray();
  return rows.map((cb) => ({
    providerId,
    callback: store.view(cb, actor),
    analysis: JSON.parse(cb.intent) as IntentAnalysis,
    previous: sql<Pick<CallbackRow, "confirmation" | "status" | "created_at_ms" | "reason" | "answer">>`SELECT confirmation, status,
        created_at_ms, reason, answer FROM callbacks WHERE user_id = ${cb.user_id} AND id <> ${cb.id}
      ORDER BY updated_at_ms DESC LIMIT ${PREVIOUS_LIMIT}`
      .toArray()
      .map((p) => ({ confirmation: p.confirmation, status: p.status, createdAt: iso(p.created_at_ms), reason: p.reason, answer: p.answer })),
  }));
}
