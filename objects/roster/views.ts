/**
 * What the roster answers: agents, reservations and slots as people and the cloud see
 * them. zod schemas, their types inferred, so the site Worker documents exactly what
 * the roster returns.
 */
import { z } from "zod";
import { channel, EXPOSURES, RESERVATION_STATUSES, RESOURCE_KINDS, shiftSchema } from "./model.ts";
import { AGENT_STATES } from "../../federation/wire/vocabulary.ts";

/** Instants leave the roster as `toISOString()` answers them: UTC, with milliseconds. */
const instant = z.iso.datetime();

export const agentViewSchema = z
  .strictObject({
    id: z.string(),
    ref: z.string().meta({ description: "Stable, unguessable id that stands for the agent outside the site" }),
    kind: z.enum(RESOURCE_KINDS),
    name: z.string(),
    skills: z.record(z.string(), z.number().int().min(1).max(5)),
    channels: z.array(channel),
    languages: z.array(z.string()),
    capacity: z.number().int().min(1),
    exposure: z.enum(EXPOSURES),
    shift: shiftSchema.nullable(),
    state: z.enum(AGENT_STATES),
    until: instant.nullable(),
    expectedAvailableAt: instant.nullable(),
    lastReportAt: instant.nullable(),
    updatedAt: instant,
  })
  .meta({ id: "Agent", description: "A resource of the roster (agent, bot, IVR or voicemail) with its state and expected availability." });
export type AgentView = z.infer<typeof agentViewSchema>;

/** What a partner may see of an agent: no name, shift or last report, and its opaque ref for an id. */
export const partnerAgentViewSchema = agentViewSchema
  .omit({ ref: true, name: true, shift: true, lastReportAt: true })
  .extend({ id: z.string().meta({ description: "The agent's opaque ref" }) })
  .meta({ id: "PartnerAgent", description: "An agent as a partner sees it: no name, no shift, its opaque ref for an id; internal resources are never shown." });
export type PartnerAgentView = z.infer<typeof partnerAgentViewSchema>;

export const reservationViewSchema = z
  .strictObject({
    id: z.string(),
    siteId: z.string(),
    callbackId: z.string(),
    agentId: z.string().meta({ description: "The agent's opaque ref: what the mesh knows it by" }),
    skill: z.string(),
    channel,
    start: instant,
    end: instant,
    status: z.enum(RESERVATION_STATUSES),
    expiresAt: instant,
    createdAt: instant,
  })
  .meta({ id: "Reservation", description: "An agent held for a callback: `held` until claimed at callback time, released, or expired." });
export type ReservationView = z.infer<typeof reservationViewSchema>;

export const slotViewSchema = z
  .strictObject({ start: instant, end: instant, capacity: z.number().int().min(0) })
  .meta({ id: "Slot", description: "A slot and how many more callbacks it can take." });
export type SlotView = z.infer<typeof slotViewSchema>;
