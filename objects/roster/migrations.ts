/** The roster's schema, one numbered step at a time. Never edit a shipped step: add one. */
import type { Migration } from "../shared/sql.ts";

export const ROSTER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "resources",
    up: [
      `CREATE TABLE resources (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        skills TEXT NOT NULL,
        channels TEXT NOT NULL,
        languages TEXT NOT NULL,
        capacity INTEGER NOT NULL,
        exposure TEXT NOT NULL,
        shift TEXT,
        state TEXT NOT NULL DEFAULT 'offline',
        until_ms INTEGER,
        last_report_at_ms INTEGER,
        updated_at_ms INTEGER NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: "reservations",
    up: [
      `CREATE TABLE reservations (
        id TEXT PRIMARY KEY,
        callback_id TEXT NOT NULL,
        agent_id TEXT NOT NULL REFERENCES resources(id),
        skill TEXT NOT NULL,
        channel TEXT NOT NULL,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        status TEXT NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        created_at_ms INTEGER NOT NULL
      )`,
      "CREATE INDEX reservations_by_agent ON reservations (agent_id, end_ms)",
      "CREATE INDEX reservations_by_callback ON reservations (callback_id)",
    ],
  },
  {
    version: 3,
    name: "opaque refs and digest sequence",
    up: [
      // Agents are known outside the site only by `ref`; existing rows get one now.
      "ALTER TABLE resources ADD COLUMN ref TEXT",
      "UPDATE resources SET ref = 'r_' || lower(hex(randomblob(10))) WHERE ref IS NULL",
      "CREATE UNIQUE INDEX resources_by_ref ON resources (ref)",
      // The digest sequence must only grow, across restarts too.
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
      "INSERT INTO meta (key, value) VALUES ('digest_seq', 0)",
      "CREATE INDEX resources_by_state ON resources (state, last_report_at_ms)",
    ],
  },
];
