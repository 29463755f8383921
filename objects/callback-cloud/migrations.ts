/** The callback cloud's schema, one numbered step at a time. Never edit a shipped step: add one. */
import type { Migration } from "../shared/sql.ts";

export const CLOUD_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "provider, callbacks, events, attempts",
    up: [
      `CREATE TABLE provider (
        id TEXT PRIMARY KEY,
        ordinal INTEGER NOT NULL,
        registration TEXT NOT NULL,
        updated_at_ms INTEGER NOT NULL
      )`,
      `CREATE TABLE callbacks (
        id TEXT PRIMARY KEY,
        confirmation TEXT NOT NULL UNIQUE,
        verifier_hash TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        request_hash TEXT NOT NULL,
        user_id TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        notes TEXT,
        language TEXT NOT NULL,
        intent TEXT NOT NULL,
        skill TEXT,
        skill_level INTEGER NOT NULL,
        priority INTEGER NOT NULL,
        media TEXT NOT NULL,
        contact TEXT NOT NULL,
        window_start_ms INTEGER NOT NULL,
        window_end_ms INTEGER NOT NULL,
        scheduled_for_ms INTEGER,
        channel TEXT NOT NULL,
        site_id TEXT,
        agent_id TEXT,
        reservation_id TEXT,
        answer TEXT,
        due_at_ms INTEGER,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
      )`,
      "CREATE INDEX callbacks_due ON callbacks (due_at_ms) WHERE due_at_ms IS NOT NULL",
      "CREATE INDEX callbacks_by_status ON callbacks (status, created_at_ms)",
      `CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        callback_id TEXT NOT NULL REFERENCES callbacks(id),
        at_ms INTEGER NOT NULL,
        type TEXT NOT NULL,
        detail TEXT NOT NULL
      )`,
      "CREATE INDEX events_by_callback ON events (callback_id, seq)",
      `CREATE TABLE attempts (
        idempotency_key TEXT PRIMARY KEY,
        callback_id TEXT NOT NULL REFERENCES callbacks(id),
        n INTEGER NOT NULL,
        channel TEXT NOT NULL,
        started_at_ms INTEGER NOT NULL,
        outcome TEXT,
        ended_at_ms INTEGER,
        UNIQUE (callback_id, n)
      )`,
    ],
  },
  {
    version: 2,
    name: "reservations confirmed ahead of the call",
    up: [
      // When the session manager confirmed the agent's reservation (it does so a little before the call).
      "ALTER TABLE callbacks ADD COLUMN claimed_at_ms INTEGER",
      // The end of the agent's reserved slot: a retry after it needs a new reservation.
      "ALTER TABLE callbacks ADD COLUMN reserved_until_ms INTEGER",
    ],
  },
  {
    version: 3,
    name: "when each dial was issued",
    up: ["ALTER TABLE attempts ADD COLUMN issued_at_ms INTEGER"],
  },
  {
    version: 4,
    name: "what the scheduler weighs",
    up: [
      // Asked for "as soon as possible": an earlier agent is worth more than for a chosen window.
      "ALTER TABLE callbacks ADD COLUMN asap INTEGER NOT NULL DEFAULT 0",
      // Callbacks sharing a slot are planned together; a customer's previous agent is looked up by user.
      "CREATE INDEX callbacks_by_slot ON callbacks (scheduled_for_ms) WHERE status = 'scheduled' AND claimed_at_ms IS NULL",
      "CREATE INDEX callbacks_by_user ON callbacks (user_id, updated_at_ms)",
    ],
  },
  {
    version: 5,
    name: "callbacks by the agent holding them",
    // GraphQL's Agent.callbacks reads the callbacks of a list of agents at once.
    up: ["CREATE INDEX callbacks_by_agent ON callbacks (site_id, agent_id, scheduled_for_ms)"],
  },
  {
    version: 6,
    name: "where a shard sits among its provider's",
    // Which of the provider's callback shards this object is, and how many there are.
    up: ["ALTER TABLE provider ADD COLUMN shard INTEGER NOT NULL DEFAULT 0", "ALTER TABLE provider ADD COLUMN shards INTEGER NOT NULL DEFAULT 1"],
  },
  {
    version: 7,
    name: "callbacks asked for per offer",
    // An offer token is good for a few callbacks at most: counted here until it expires (a customer's offer and
    // requests reach the same shard, so the count is exact).
    up: [
      "CREATE TABLE offer_uses (offer_id TEXT PRIMARY KEY, uses INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL)",
      "CREATE INDEX offer_uses_by_expiry ON offer_uses (expires_at_ms)",
    ],
  },
  {
    version: 8,
    name: "idempotency keys scoped to their customer",
    // A key is the customer's own (user id, NUL, key): another customer's same key is another request.
    up: ["UPDATE callbacks SET idempotency_key = user_id || char(0) || idempotency_key"],
  },
  {
    version: 9,
    name: "releases owed to sites",
    // A hold given up while its site did not answer (or was thought down) is released once it does: hold-releases.ts.
    up: [
      `CREATE TABLE owed_releases (
        reservation_id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL,
        until_ms INTEGER NOT NULL,
        next_try_ms INTEGER NOT NULL,
        tries INTEGER NOT NULL
      )`,
      "CREATE INDEX owed_releases_by_next_try ON owed_releases (next_try_ms)",
    ],
  },
  {
    version: 10,
    name: "events owed to the provider's webhooks",
    // Written with each lifecycle event, kept until the provider's webhook object takes it: webhook-handoff.ts.
    up: ["CREATE TABLE hook_outbox (seq INTEGER PRIMARY KEY, callback_id TEXT NOT NULL, confirmation TEXT NOT NULL, event TEXT NOT NULL, at_ms INTEGER NOT NULL, data TEXT NOT NULL)"],
  },
  {
    version: 11,
    name: "the customer's confirmations and reminders",
    // One row per callback and kind; a reminder moved with its call is the same row, for another time: notices.ts.
    up: [
      "ALTER TABLE callbacks ADD COLUMN notify TEXT",
      `CREATE TABLE notices (
        callback_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        for_ms INTEGER,
        due_at_ms INTEGER,
        tries INTEGER NOT NULL DEFAULT 0,
        sent_at_ms INTEGER,
        PRIMARY KEY (callback_id, kind)
      )`,
      "CREATE INDEX notices_due ON notices (due_at_ms) WHERE due_at_ms IS NOT NULL",
    ],
  },
  {
    version: 12,
    name: "holds whose reservation answer was lost",
    // A reserve the site may have made though its answer never came: asked again, and given back unless kept: hold-releases.ts.
    up: [
      `CREATE TABLE owed_sweeps (
        callback_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        request TEXT NOT NULL,
        until_ms INTEGER NOT NULL,
        next_try_ms INTEGER NOT NULL,
        tries INTEGER NOT NULL,
        PRIMARY KEY (callback_id, site_id, request)
      )`,
      "CREATE INDEX owed_sweeps_by_next_try ON owed_sweeps (next_try_ms)",
    ],
  },
];

/** The provider object's schema: the registration, its ordinal and its shard count. */
export const PROVIDER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "provider",
    up: [
      `CREATE TABLE provider (
        id TEXT PRIMARY KEY,
        ordinal INTEGER NOT NULL,
        registration TEXT NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        shard INTEGER NOT NULL DEFAULT 0,
        shards INTEGER NOT NULL DEFAULT 1
      )`,
    ],
  },
];
