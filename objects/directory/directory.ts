/**
 * The edge's directory of providers: one global object that gives each provider a
 * stable ordinal (carried by its confirmation numbers), finds a provider by it, and
 * says how many callback shards each provider has (so the edge routes a request with
 * one read). The registration itself lives in the provider's own CallbackProvider object.
 */
import { DurableObject } from "cloudflare:workers";
import { MAX_ORDINAL } from "../callback-cloud/confirmation.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { fail, ok, type Result } from "../shared/problem.ts";
import { migrate, sqlOf, type Sql } from "../shared/sql.ts";
import { directoryIndex, searchDirectory, type DirectoryHit, type DirectoryIndex, type Listing } from "./search.ts";

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
  {
    version: 2,
    name: "provider shards",
    up: [`ALTER TABLE providers ADD COLUMN shards INTEGER NOT NULL DEFAULT 1`],
  },
  {
    version: 3,
    name: "provider origins",
    // Where providers' pages are: a browser there may call the customer routes (the edge's CORS).
    up: [`CREATE TABLE origins (origin TEXT NOT NULL, provider_id TEXT NOT NULL, PRIMARY KEY (origin, provider_id))`],
  },
  {
    version: 4,
    name: "provider listings",
    // What search finds a provider by (search.ts): its registration's name, intents and directory entry, as JSON.
    up: [`CREATE TABLE listings (provider_id TEXT PRIMARY KEY, listing TEXT NOT NULL, updated_at_ms INTEGER NOT NULL)`],
  },
] as const;

export type DirectoryEntry = {
  ordinal: number;
  id: string;
  /** How many callback shards the provider has (1 until its registration says more). */
  shards: number;
};

export class Directory extends DurableObject {
  clock: Clock = systemClock;
  private readonly sql: Sql;
  /** Built from the listings on the first search after a change: storage is the truth, this a cache. */
  private index: { index: DirectoryIndex; names: Map<string, string> } | null = null;

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

  /**
   * Published once every shard holds the registration, so that no request is routed
   * to a shard that does not know its provider yet. Shards only grow (the provider
   * object refuses fewer): a callback's shard is in its confirmation for good.
   */
  async publishShards(providerId: string, shards: number): Promise<void> {
    this.sql`UPDATE providers SET shards = max(shards, ${shards}) WHERE id = ${providerId}`;
  }

  /** The origins a provider's pages are served from, as its latest registration says. */
  async setOrigins(providerId: string, origins: readonly string[]): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      this.sql`DELETE FROM origins WHERE provider_id = ${providerId}`;
      for (const origin of origins.slice(0, 20)) this.sql`INSERT OR IGNORE INTO origins (origin, provider_id) VALUES (${origin}, ${providerId})`;
    });
  }

  /** What search finds the provider by, as its latest registration says; null takes it out of search. */
  async setListing(providerId: string, listing: Listing | null): Promise<void> {
    if (listing) {
      this.sql`INSERT INTO listings (provider_id, listing, updated_at_ms) VALUES (${providerId}, ${JSON.stringify(listing)}, ${this.clock.now()})
        ON CONFLICT (provider_id) DO UPDATE SET listing = excluded.listing, updated_at_ms = excluded.updated_at_ms`;
    } else {
      this.sql`DELETE FROM listings WHERE provider_id = ${providerId}`;
    }
    this.index = null;
  }

  /** The listed providers the words point to, best first (search.ts). */
  async search(query: string, limit: number): Promise<DirectoryHit[]> {
    if (!this.index) {
      const listings = this.sql<{ listing: string }>`SELECT listing FROM listings ORDER BY provider_id`.toArray().map((r) => JSON.parse(r.listing) as Listing);
      this.index = { index: directoryIndex(listings), names: new Map(listings.map((l) => [l.providerId, l.name])) };
    }
    const { index, names } = this.index;
    return searchDirectory(index, query, limit, (id) => names.get(id) ?? id);
  }

  /** Whether some provider registered this origin for its pages. */
  async allowsOrigin(origin: string): Promise<boolean> {
    return this.sql`SELECT 1 FROM origins WHERE origin = ${origin} LIMIT 1`.toArray().length > 0;
  }

  /** The provider with this ordinal (a confirmation carries it). */
  async providerAt(ordinal: number): Promise<DirectoryEntry | null> {
    return this.sql<DirectoryEntry>`SELECT ordinal, id, shards FROM providers WHERE ordinal = ${ordinal}`.toArray()[0] ?? null;
  }

  /** A registered provider's entry; null for any other id. */
  async locate(providerId: string): Promise<DirectoryEntry | null> {
    return this.sql<DirectoryEntry>`SELECT ordinal, id, shards FROM providers WHERE id = ${providerId}`.toArray()[0] ?? null;
  }

  async providers(limit = 100, afterOrdinal = -1): Promise<DirectoryEntry[]> {
    return this.sql<DirectoryEntry>`SELECT ordinal, id, shards FROM providers WHERE ordinal > ${afterOrdinal}
      ORDER BY ordinal LIMIT ${limit}`.toArray();
  }
}
