/**
 * The edge's directory of providers: one global object that gives each provider a
 * stable ordinal (carried by its confirmation numbers) and finds a provider by it.
 * The registration itself lives in the provider's own CallbackCloud object.
 */
import { DurableObject } from "cloudflare:workers";
import { MAX_ORDINAL } from "../callback-cloud/confirmation.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { fail, ok, type Result } from "../shared/problem.ts";
import { migrate, sqlOf, type Sql } from "../shared/sql.ts";

const MIGRATIONS = [
  {
    version: 1,
    name: "providers",
    up: [
      `CREATE TABLE providers (
        ordinal INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        registered_at_ms INTEGER NOT NULL
      )`,
    ],
  },
] as const;

export class Directory extends DurableObject {
  clock: Clock = systemClock;
  private readonly sql: Sql;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.sql = sqlOf(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS, this.clock.now());
    });
  }

  /** The provider's ordinal, given on first registration and kept for good. */
  async enrol(providerId: string): Promise<Result<{ ordinal: number; created: boolean }>> {
    const known = this.sql<{ ordinal: number }>`SELECT ordinal FROM providers WHERE id = ${providerId}`.toArray()[0];
    if (known) return ok({ ordinal: known.ordinal, created: false });
    const next = (this.sql<{ n: number | null }>`SELECT max(ordinal) AS n FROM providers`.one().n ?? -1) + 1;
    if (next > MAX_ORDINAL) return fail(503, "directory_full", "no more providers fit this edge's confirmation numbers");
    this.sql`INSERT INTO providers (ordinal, id, registered_at_ms) VALUES (${next}, ${providerId}, ${this.clock.now()})`;
    return ok({ ordinal: next, created: true });
  }

  async providerByOrdinal(ordinal: number): Promise<string | null> {
    return this.sql<{ id: string }>`SELECT id FROM providers WHERE ordinal = ${ordinal}`.toArray()[0]?.id ?? null;
  }

  async has(providerId: string): Promise<boolean> {
    return this.sql`SELECT 1 FROM providers WHERE id = ${providerId}`.toArray().length > 0;
  }

  async providers(limit = 100, afterOrdinal = -1): Promise<{ ordinal: number; id: string }[]> {
    return this.sql<{ ordinal: number; id: string }>`SELECT ordinal, id FROM providers WHERE ordinal > ${afterOrdinal}
      ORDER BY ordinal LIMIT ${limit}`.toArray();
  }
}
