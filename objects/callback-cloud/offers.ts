/**
 * Offers: what a page shows before the customer asks. Slots inside the provider's
 * rules that its sites have capacity for over the next day, the estimated wait, and
 * the hours in words when closed. Made by one of the provider's callback shards (the
 * customer's own), which knows the callbacks waiting in it.
 */
import { ok, type Result } from "../shared/problem.ts";
import { iso, noProvider, type CloudContext } from "./cloud-context.ts";
import { primarySkill, type ProviderRecord } from "./provider-record.ts";
import { closedNotice, slotsInWindow } from "./rules.ts";
import { offerCapacity } from "./scheduling/index.ts";
import type { Channel } from "../../federation/wire/vocabulary.ts";

export interface Offer {
  estimatedWaitSeconds: number | null;
  slots: { start: string; end: string; capacity: number }[];
  channels: Channel[];
  /** Whether the provider's hours allow a call now. */
  openNow: boolean;
  /** Closed now: when it opens next (absent when not within the booking horizon). */
  opensAt?: string;
  /** Why the wait is what it is, for a person: closed until …, or nobody free. */
  notice?: string;
}

/**
 * The mesh view's model is the plan's (agents with the intent's skill whose free time
 * covers the slot), less the callbacks already waiting. Customers spread evenly over
 * the shards, so this shard's waiting callbacks times the shard count stands for the
 * provider's without asking the others. An offer is an estimate; the reservation at
 * the site stays the authority.
 */
export async function makeOffer(c: CloudContext, provider: ProviderRecord, reason?: string): Promise<Result<Offer>> {
  const p = provider.get();
  if (!p) return noProvider();
  const reg = p.registration;
  const now = c.now();
  const intent = reason ? await provider.analyze(reg, reason) : null;
  // Without a reason (or an understood one), any agent who serves one of the provider's intents counts.
  const known = primarySkill(intent?.skills ?? {});
  const skills = known ? [known.name] : [...new Set(reg.intents.flatMap((i) => Object.keys(i.skills)))];
  const ruleSlots = slotsInWindow(reg.rules, reg.timezone, now, now + 86_400_000, now, 96);
  const slots: Offer["slots"] = [];
  if (ruleSlots.length > 0 && skills.length > 0) {
    const members = await c.mesh().members(reg.sites);
    const waitingHere = c.sql<{ n: number }>`SELECT count(*) AS n FROM callbacks WHERE status = 'pending'
      AND skill IN (SELECT value FROM json_each(${JSON.stringify(skills)}))`.one().n as number;
    const capacity = offerCapacity(members, { skills, channel: "voice", slots: ruleSlots, pending: waitingHere * p.shards, siteIds: reg.sites });
    ruleSlots.forEach((s, i) => {
      const free = capacity[i] ?? 0;
      if (free > 0) slots.push({ start: iso(s.startMs), end: iso(s.endMs), capacity: free });
    });
  }
  const first = slots[0] ? Date.parse(slots[0].start) : null;
  const closed = closedNotice(reg.rules, reg.timezone, now);
  const notice =
    closed?.message ??
    (slots.length === 0 ? "Nobody who handles this is free in the next 24 hours; you can still ask, and we will call when someone is." : undefined);
  return ok({
    estimatedWaitSeconds: first === null ? null : Math.max(0, Math.round((first - now) / 1000)),
    slots: slots.slice(0, 32),
    channels: reg.rules.allowedMedia,
    openNow: closed === null,
    ...(closed?.opensAtMs != null ? { opensAt: iso(closed.opensAtMs) } : {}),
    ...(notice ? { notice } : {}),
  });
}
