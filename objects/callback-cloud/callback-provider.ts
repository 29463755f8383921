/**
 * A provider as a Durable Object: its registration (the truth), its trained intent
 * engine, and its callback shards. A registration is pushed to every shard (each
 * keeps a copy, so intake and planning never leave the shard) before it is stored
 * here; a failed push leaves the last full one in force, and registering again
 * repeats it. The carrier adapter, where the provider has a carrier account, is told it
 * too. The number of shards only grows: a callback's shard is in its
 * confirmation number for good.
 */
import { DurableObject } from "cloudflare:workers";
import { systemClock, type Clock } from "../shared/clock.ts";
import { fail, guarded, ok, type Result } from "../shared/problem.ts";
import { migrate, sqlOf } from "../shared/sql.ts";
import type { CallbackShard } from "./callback-shard.ts";
import { noProvider, type CloudEnv } from "./cloud-context.ts";
import type { IntentAnalysis } from "./intents.ts";
import { PROVIDER_MIGRATIONS } from "./migrations.ts";
import { ProviderRecord } from "./provider-record.ts";
import type { ProviderRegistration, PublicProvider } from "./provider.ts";
import { shardIndexes, shardName } from "./shards.ts";

export interface ProviderEnv extends Pick<CloudEnv, "INTENT_ENGINE" | "AI" | "CARRIER"> {
  CALLBACK_SHARDS: DurableObjectNamespace<CallbackShard>;
}

export class CallbackProvider extends DurableObject<ProviderEnv> {
  clock: Clock = systemClock;
  private readonly record: ProviderRecord;

  constructor(ctx: DurableObjectState, env: ProviderEnv) {
    super(ctx, env);
    const sql = sqlOf(ctx.storage.sql);
    this.record = new ProviderRecord({ env, sql, now: () => this.clock.now() });
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, PROVIDER_MIGRATIONS, this.clock.now());
    });
  }

  /**
   * Registers or updates the provider: every shard first, then here. Without
   * `shards`, a registration keeps the count it has (1 at first). One at a time, so
   * two registrations never interleave their pushes.
   */
  async configure(registration: ProviderRegistration, ordinal: number): Promise<Result<{ shards: number }>> {
    // Guarded inside: a throw out of blockConcurrencyWhile would reset the object.
    return this.ctx.blockConcurrencyWhile(() => guarded("provider.configure", () => this.configureNow(registration, ordinal)));
  }

  private async configureNow(registration: ProviderRegistration, ordinal: number): Promise<Result<{ shards: number }>> {
    const had = this.record.get()?.shards ?? 1;
    const shards = registration.shards ?? had;
    if (shards < had) {
      return fail(409, "shards_cannot_shrink", `the provider has ${had} callback shards; their callbacks keep their confirmation numbers, so the count can grow but not shrink`, {
        shards: had,
      });
    }
    const stored = { ...registration, shards };
    await Promise.all(
      shardIndexes(shards).map((shard) =>
        this.env.CALLBACK_SHARDS.getByName(shardName(registration.id, shard)).configure(stored, { ordinal, shard, shards }),
      ),
    );
    // The carrier adapter checks status callbacks with the account as registered now (a rotated token at once).
    const hadCarrier = this.record.get()?.registration.carrier !== undefined;
    if (this.env.CARRIER && (registration.carrier || hadCarrier)) await this.env.CARRIER.getByName(registration.id).configure(registration.carrier ?? null);
    this.record.configure(stored, { ordinal, shard: 0, shards });
    return ok({ shards });
  }

  /**
   * A member went down (the edge's mesh view says so): each shard plans again what it had
   * reserved there. Answers how many callbacks moved.
   */
  async siteDown(siteId: string): Promise<number> {
    const p = this.record.get();
    if (!p) return 0;
    const moved = await Promise.all(
      shardIndexes(p.shards).map((shard) => this.env.CALLBACK_SHARDS.getByName(shardName(p.registration.id, shard)).siteDown(siteId)),
    );
    return moved.reduce((a, b) => a + b, 0);
  }

  /** The registration as anyone may see it: no secrets. */
  async publicRegistration(): Promise<PublicProvider | null> {
    return this.record.publicRegistration();
  }

  async analyze(text: string, language?: string): Promise<Result<IntentAnalysis>> {
    return guarded("provider.analyze", async () => {
      const p = this.record.get();
      if (!p) return noProvider();
      return ok(await this.record.analyze(p.registration, text, language));
    });
  }
}
