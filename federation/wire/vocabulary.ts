/**
 * The mesh's vocabulary (DESIGN.md): agent states, channels, skills, callback statuses and
 * attempt outcomes, and the slugs that name sites and skills. One definition each, imported
 * by the wire contracts (digest, membership) and by every object and Worker.
 */
import { z } from "zod";

export const AGENT_STATES = ["offline", "available", "busy", "wrap_up", "break", "on_call", "unreachable"] as const;
export type AgentState = (typeof AGENT_STATES)[number];
/** What an agent (or an admin on its behalf) may report; `unreachable` belongs to the monitor. */
export const REPORTABLE_STATES = ["offline", "available", "busy", "wrap_up", "break", "on_call"] as const;
export type ReportableState = (typeof REPORTABLE_STATES)[number];

export const CHANNELS = ["voice", "sms", "email", "chat", "video"] as const;
export type Channel = (typeof CHANNELS)[number];

export const CALLBACK_STATUSES = [
  "pending",
  "scheduled",
  "dialing",
  "connected",
  "completed",
  "answered",
  "retrying",
  "failed",
  "cancelled",
  "expired",
] as const;
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];

export const OUTCOMES = ["answered", "busy", "no_answer", "voicemail", "failed"] as const;
export type AttemptOutcome = (typeof OUTCOMES)[number];

/** A site id: a short lower-case slug. The one definition every schema that names a site uses. */
export const siteIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "a site id is a lower-case slug (letters, digits, '_' or '-'), at most 32");
/** A skill name: a lower-case slug. */
export const skillName = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, "a skill is a lower-case slug");
