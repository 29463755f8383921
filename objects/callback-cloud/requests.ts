/** Request bodies of the callback cloud's routes: zod is the source of their types. */
import { z } from "zod";
import { channel } from "../roster/model.ts";
import { e164 } from "./provider.ts";
import { OUTCOMES, siteIdSchema, skillName } from "../../federation/wire/vocabulary.ts";

const iso = z.iso.datetime({ offset: true });
const language = z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, "a language tag such as en or pt-BR");
const distinct = (values: readonly string[]) => new Set(values).size === values.length;

export const interactionRequest = z.strictObject({
  providerId: z.string().min(1).max(64),
  user: z.strictObject({
    id: z.string().min(1).max(128),
    name: z.string().max(120).optional(),
    phone: e164.optional(),
    email: z.email().max(254).optional(),
  }),
  context: z.strictObject({ reason: z.string().max(2000).optional(), page: z.string().max(2000).optional() }).optional(),
});
export type InteractionRequest = z.infer<typeof interactionRequest>;

/** When the customer wants the call: as soon as possible, or within a window. */
export const callbackWhen = z.union([
  z.strictObject({ asap: z.literal(true) }),
  z
    .strictObject({ start: iso, end: iso })
    .refine((w) => Date.parse(w.end) > Date.parse(w.start), { message: "end must be after start", path: ["end"] }),
]);
export type CallbackWhen = z.infer<typeof callbackWhen>;

export const callbackRequest = z
  .strictObject({
    indicia: z.string().min(16).max(8192),
    when: callbackWhen,
    media: z.array(channel).min(1).max(5).refine(distinct, "media repeat"),
    contact: z
      .strictObject({ phone: e164.optional(), email: z.email().max(254).optional() })
      .refine((c) => c.phone !== undefined || c.email !== undefined, "a phone number or an email address"),
    reason: z.string().trim().min(1).max(2000),
    notes: z.string().max(2000).optional(),
    language: language.optional(),
    notify: z
      .enum(["sms", "email", "none"])
      .optional()
      .meta({ description: "Where the confirmation and reminder go: absent, the first text channel among `media`, else email, else SMS" }),
  })
  .superRefine((r, ctx) => {
    // Each medium needs the matching contact.
    r.media.forEach((m, i) => {
      const needs = m === "email" ? "email" : "phone";
      if (r.contact[needs] === undefined) {
        ctx.addIssue({ code: "custom", message: `${m} needs contact.${needs}`, path: ["media", i] });
      }
    });
    if ((r.notify === "sms" && r.contact.phone === undefined) || (r.notify === "email" && r.contact.email === undefined)) {
      ctx.addIssue({ code: "custom", message: `notify by ${r.notify} needs contact.${r.notify === "sms" ? "phone" : "email"}`, path: ["notify"] });
    }
  });
export type CallbackRequest = z.infer<typeof callbackRequest>;

/** A customer moves the callback: a new window, planned and reserved as a new request is. */
export const rescheduleBody = z.strictObject({ when: callbackWhen });
export type RescheduleBody = z.infer<typeof rescheduleBody>;

export const textBody = z.strictObject({ text: z.string().trim().min(1).max(4000) });
export const transferBody = z
  .strictObject({ skill: skillName.optional(), siteId: siteIdSchema.optional() })
  .refine((t) => t.skill !== undefined || t.siteId !== undefined, "a skill, a site, or both");
export type TransferBody = z.infer<typeof transferBody>;
export const completeBody = z.strictObject({
  outcome: z.enum(["resolved", "unresolved", "follow_up", "no_show"]),
  notes: z.string().max(4000).optional(),
});
export type CompleteBody = z.infer<typeof completeBody>;
export const progressBody = z.strictObject({
  attempt: z.number().int().min(1).max(50),
  outcome: z.enum(OUTCOMES),
  at: iso,
});
export type ProgressBody = z.infer<typeof progressBody>;
