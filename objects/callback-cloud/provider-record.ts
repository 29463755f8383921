/**
 * The provider a callback cloud serves: its stored registration (parsed once per
 * object life, or per configure), its trained intent engine, and the offers made
 * from it. What will become the provider object when callbacks move to shards.
 */
import { ok, type Result } from "../shared/problem.ts";
import { iso, noProvider, type CloudContext } from "./cloud-context.ts";
import { hostedIntentEngine, type AsyncIntentEngine } from "./intent/hosted.ts";
import { trainIntentEngine, type IntentAnalysis, type IntentEngine } from "./intents.ts";
import { publicProvider, type ProviderRegistration, type PublicProvider } from "./provider.ts";
import { closedNotice, slotsInWindow } from "./rules.ts";
import { offerCapacity } from "./scheduling/index.ts";
import type { Channel } from "../../federation/vocabulary.ts";

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

export interface StoredProvider {
  ordinal: number;
  registration: ProviderRegistration;
}

/** Analyses kept per engine, oldest dropped first: enough for the offers of a burst to meet their requests. */
const RECENT_ANALYSES = 256;

export class ProviderRecord {
  /** The stored registration, parsed (derived; dropped on configure). */
  private memo: StoredProvider | null = null;
  /** Derived from the stored registration; rebuilt on a new one. */
  private engine: {
    for: ProviderRegistration["intents"];
    engine: IntentEngine;
    hosted: AsyncIntentEngine | null;
    /** The local engine's recent answers by language and text: an offer's reason comes again with its request. */
    recent: Map<string, IntentAnalysis>;
  } | null = null;

  constructor(private readonly c: CloudContext) {}

  configure(registration: ProviderRegistration, ordinal: number): void {
    this.c.sql`INSERT INTO provider (id, ordinal, registration, updated_at_ms) VALUES (${registration.id}, ${ordinal},
      ${JSON.stringify(registration)}, ${this.c.now()})
      ON CONFLICT (id) DO UPDATE SET registration = excluded.registration, updated_at_ms = excluded.updated_at_ms`;
    this.engine = null;
    this.memo = null;
  }

  get(): StoredProvider | null {
    if (this.memo) return this.memo;
    const row = this.c.sql<{ ordinal: number; registration: string }>`SELECT ordinal, registration FROM provider LIMIT 1`.toArray()[0];
    this.memo = row ? { ordinal: row.ordinal, registration: JSON.parse(row.registration) } : null;
    return this.memo;
  }

  must(): StoredProvider {
    const p = this.get();
    if (!p) throw new Error("this callback cloud has no provider");
    return p;
  }

  /** The registration as anyone may see it: no secrets. */
  publicRegistration(): PublicProvider | null {
    const p = this.get();
    return p ? publicProvider(p.registration) : null;
  }

  async analyze(reg: ProviderRegistration, text: string, language?: string): Promise<IntentAnalysis> {
    const { engine, hosted, recent } = this.intentEngine(reg);
    if (hosted) return hosted.analyze(text, language);
    // The local engine is a pure function of the text: the same text, the same answer (read-only to callers).
    // The engine reads no language as English, so an offer (none given) and its request ("en") share an entry.
    const key = `${language ?? "en"}\u0000${text}`;
    let analysis = recent.get(key);
    if (!analysis) {
      analysis = engine.analyze(text, language);
      if (recent.size >= RECENT_ANALYSES) recent.delete(recent.keys().next().value as string);
      recent.set(key, analysis);
    }
    return analysis;
  }

  /**
   * Slots inside the provider's rules that its sites have capacity for, over the next
   * day: from the mesh view, the same model the plan uses (agents with the intent's
   * skill whose free time covers the slot), less the callbacks already waiting here.
   * An offer is an estimate; the reservation at the site stays the authority.
   */
  async offer(reason?: string): Promise<Result<Offer>> {
    const p = this.get();
    if (!p) return noProvider();
    const reg = p.registration;
    const now = this.c.now();
    const intent = reason ? await this.analyze(reg, reason) : null;
    // Without a reason (or an understood one), any agent who serves one of the provider's intents counts.
    const known = primarySkill(intent?.skills ?? {});
    const skills = known ? [known.name] : [...new Set(reg.intents.flatMap((i) => Object.keys(i.skills)))];
    const ruleSlots = slotsInWindow(reg.rules, reg.timezone, now, now + 86_400_000, now, 96);
    const slots: Offer["slots"] = [];
    if (ruleSlots.length > 0 && skills.length > 0) {
      const members = await this.c.mesh().members(reg.sites);
      const pending = this.c.sql<{ n: number }>`SELECT count(*) AS n FROM callbacks WHERE status = 'pending'
        AND skill IN (SELECT value FROM json_each(${JSON.stringify(skills)}))`.one().n as number;
      const capacity = offerCapacity(members, { skills, channel: "voice", slots: ruleSlots, pending, siteIds: reg.sites });
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

  /** The provider's intent engine, trained once per registration (derived). */
  private intentEngine(reg: ProviderRegistration): NonNullable<ProviderRecord["engine"]> {
    // Keyed by the parsed registration's intents: the same object until configure replaces it.
    const key = reg.intents;
    if (this.engine?.for !== key) {
      const engine = trainIntentEngine(reg.intents);
      const ai = this.c.env.INTENT_ENGINE === "workers-ai" ? this.c.env.AI : undefined;
      const hosted = ai
        ? hostedIntentEngine(ai, reg.intents, engine, undefined, { onFallback: (e) => console.error("hosted intent model failed", String(e)) })
        : null;
      this.engine = { for: key, engine, hosted, recent: new Map() };
    }
    return this.engine;
  }
}

/** The skill an intent needs most. */
export function primarySkill(skills: Record<string, number>): { name: string; level: number } | null {
  const [first] = Object.entries(skills).sort((a, b) => b[1] - a[1]);
  return first ? { name: first[0], level: first[1] } : null;
}

/** Where an unknown intent goes: the provider's least demanding intent's skill. */
export function generalistSkill(reg: ProviderRegistration): { name: string; level: number } | null {
  const easiest = [...reg.intents].sort(
    (a, b) => Math.max(...Object.values(a.skills)) - Math.max(...Object.values(b.skills)) || b.priority - a.priority,
  )[0];
  return easiest ? primarySkill(easiest.skills) : null;
}
