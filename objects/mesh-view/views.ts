/**
 * What a node's mesh view answers at GET /v1/mesh and to its own peer: zod schemas,
 * their types inferred, so every Worker documents exactly what it returns.
 */
import { z } from "zod";
import { memberInput } from "../../federation/wire/membership.ts";
import { MEMBER_HEALTH } from "../../federation/runtime/mesh-view.ts";
import type { Digest } from "../../federation/wire/digest.ts";
import { AGENT_STATES, siteIdSchema, type AgentState } from "../../federation/wire/vocabulary.ts";

/** What this node's own peer reports about itself (the body of POST /federation/peer). */
export const ownPeerReportSchema = z.strictObject({
  peerId: z.string().min(10).max(128),
  connected: z.number().int().min(0),
  published: z.number().int().min(0),
  accepted: z.number().int().min(0),
  rejected: z.record(z.string().max(32), z.number().int().min(0)),
});
export type OwnPeerReport = z.infer<typeof ownPeerReportSchema>;

export const memberViewSchema = z
  .strictObject({
    siteId: siteIdSchema,
    peerId: z.string(),
    addrs: z.array(z.string()),
    trust: memberInput.shape.trust.unwrap(),
    exposure: memberInput.shape.exposure.unwrap(),
    subgraphUrl: z.string().nullable(),
    health: z.enum(MEMBER_HEALTH),
    seq: z.number().int().nullable(),
    digestAgeMs: z.number().int().nullable().meta({ description: "How long ago this node received its latest digest" }),
    clockSkewMs: z
      .number()
      .int()
      .nullable()
      .meta({ description: "How far its clock is ahead of this node's (negative: behind), from its latest digest. Past 30 s it is `stale`: tokens between them would be refused, so nothing is planned there." }),
    agents: z.strictObject({
      total: z.number().int().min(0),
      available: z.number().int().min(0),
      bySkill: z
        .record(z.string(), z.partialRecord(z.enum(AGENT_STATES), z.number().int().min(0)))
        .meta({ description: "The agents its latest digest lists (those it exposes to the federation), per skill and state" }),
    }),
  })
  .meta({ id: "MeshMember", description: "A member as this node sees it: `up` while its latest digest is within its time to live, `stale` after (or while its clock is off by more than 30 s), `down` after four times it." });
export type MemberView = z.infer<typeof memberViewSchema>;

export const meshStatusSchema = z
  .strictObject({
    self: z.string().meta({ description: "This node: its site id, or `edge`" }),
    members: z.array(memberViewSchema),
    receipts: z.record(z.string(), z.number().int().min(0)).meta({ description: "Digests accepted, and refused by reason" }),
    peer: ownPeerReportSchema.extend({ reportedAt: z.iso.datetime() }).nullable().meta({ description: "What this node's own peer last reported" }),
  })
  .meta({ id: "Mesh", description: "The mesh as this node sees it." });
export type MeshStatus = z.infer<typeof meshStatusSchema>;

export const digestReceiptSchema = z
  .strictObject({ accepted: z.number().int().min(0), rejected: z.record(z.string(), z.number().int().min(0)) })
  .meta({ id: "DigestReceipt", description: "How many digests were accepted, and how many were refused, by reason." });
export type DigestReceipt = z.infer<typeof digestReceiptSchema>;

/** A member's agents as the mesh sees them (its digest's): how many, how many available, and per skill and state. Pure. */
export function agentCounts(digest: Digest | null): MemberView["agents"] {
  const bySkill: Record<string, Partial<Record<AgentState, number>>> = {};
  for (const a of digest?.agents ?? []) {
    for (const skill of Object.keys(a.skills)) {
      const row = (bySkill[skill] ??= {});
      row[a.state] = (row[a.state] ?? 0) + 1;
    }
  }
  return {
    total: digest?.agents.length ?? 0,
    available: digest?.agents.filter((a) => a.state === "available").length ?? 0,
    bySkill,
  };
}
