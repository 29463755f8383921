/**
 * A provider's stored registration (parsed once per object life, or per configure)
 * and its trained intent engine. The provider object keeps the registration's truth;
 * each callback shard keeps a copy (pushed by the provider object) with its place
 * among the provider's shards, so intake and planning never leave the shard.
 */
import { InvariantError } from "../shared/problem.ts";
import type { Sql } from "../shared/sql.ts";
import type { CloudEnv } from "./cloud-context.ts";
import { hostedIntentEngine, type AsyncIntentEngine } from "./intent/hosted.ts";
import { trainIntentEngine, type IntentAnalysis, type IntentEngine } from "./intents.ts";
import { publicProvider, type ProviderRegistration, type PublicProvider } from "./provider.ts";

/** Where an object sits: the provider's ordinal, and which of its `shards` it is (0 for the provider object). */
export type Placement = {
  ordinal: number;
  shard: number;
  shards: number;
};

export interface StoredProvider extends Placement {
  registration: ProviderRegistration;
}

/** What a provider record needs of its object. */
export interface ProviderContext {
  readonly env: Pick<CloudEnv, "INTENT_ENGINE" | "AI">;
  readonly sql: Sql;
  now(): number;
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

  constructor(private readonly c: ProviderContext) {}

  configure(registration: ProviderRegistration, place: Placement): void {
    this.c.sql`INSERT INTO provider (id, ordinal, registration, updated_at_ms, shard, shards) VALUES (${registration.id},
      ${place.ordinal}, ${JSON.stringify(registration)}, ${this.c.now()}, ${place.shard}, ${place.shards})
      ON CONFLICT (id) DO UPDATE SET registration = excluded.registration, updated_at_ms = excluded.updated_at_ms,
      shard = excluded.shard, shards = excluded.shards`;
    this.engine = null;
    this.memo = null;
  }

  get(): StoredProvider | null {
    if (this.memo) return this.memo;
    const row = this.c.sql<Placement & { registration: string }>`SELECT ordinal, shard, shards, registration FROM provider LIMIT 1`.toArray()[0];
    this.memo = row ? { ordinal: row.ordinal, shard: row.shard, shards: row.shards, registration: JSON.parse(row.registration) } : null;
    return this.memo;
  }

  must(): StoredProvider {
    const p = this.get();
    if (!p) throw new InvariantError("a callback shard has no provider");
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
