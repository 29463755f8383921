import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ROSTER_MIGRATIONS } from "../../../objects/roster/migrations.ts";
import type { Roster } from "../../../objects/roster/roster.ts";
import { migrate } from "../../../objects/shared/sql.ts";
import { roster, T0 } from "./helpers.ts";

const LATEST = ROSTER_MIGRATIONS[ROSTER_MIGRATIONS.length - 1].version;

/** Rows as each schema version would have held them. */
function seed(sql: SqlStorage, version: number): void {
  if (version >= 1) {
    sql.exec(
      `INSERT INTO resources (id, kind, name, skills, channels, languages, capacity, exposure, shift, state, updated_at_ms)
       VALUES ('old-ana', 'agent', 'Ana', '{"appliance_repair":4}', '["voice"]', '["en"]', 1, 'federated', NULL, 'available', ?)`,
      T0,
    );
  }
  if (version >= 2) {
    sql.exec(
      `INSERT INTO reservations (id, callback_id, agent_id, skill, channel, start_ms, end_ms, status, expires_at_ms, created_at_ms)
       VALUES ('rsv_0123456789abcdef0123456789abcdef', 'cb-old', 'old-ana', 'appliance_repair', 'voice', ?, ?, 'held', ?, ?)`,
      T0 + 60_000,
      T0 + 960_000,
      T0 + 960_000,
      T0,
    );
  }
}

function wipe(storage: DurableObjectStorage): void {
  for (const table of ["reservations", "resources", "meta", "schema_migrations"]) storage.sql.exec(`DROP TABLE IF EXISTS ${table}`);
}

describe("roster migrations", () => {
  it("numbers its steps 1, 2, 3… with no gap", () => {
    expect(ROSTER_MIGRATIONS.map((m) => m.version)).toEqual(ROSTER_MIGRATIONS.map((_, i) => i + 1));
  });

  it("brings an empty object to the latest version, once", async () => {
    await runInDurableObject(roster(), (_: Roster, state) => {
      const applied = state.storage.sql.exec<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version").toArray();
      expect(applied.map((r) => r.version)).toEqual(ROSTER_MIGRATIONS.map((m) => m.version));
      expect(migrate(state.storage, ROSTER_MIGRATIONS, T0)).toBe(LATEST);
      expect(state.storage.sql.exec("SELECT count(*) AS n FROM schema_migrations").one().n).toBe(ROSTER_MIGRATIONS.length);
    });
  });

  for (let from = 0; from < LATEST; from++) {
    it(`upgrades from version ${from}, keeping what it held`, async () => {
      await runInDurableObject(roster(), async (instance: Roster, state) => {
        wipe(state.storage);
        expect(migrate(state.storage, ROSTER_MIGRATIONS, T0, from)).toBe(from);
        seed(state.storage.sql, from);
        expect(migrate(state.storage, ROSTER_MIGRATIONS, T0)).toBe(LATEST);
        if (from >= 1) {
          const ana = await instance.getAgent("old-ana");
          expect(ana.ok && ana.value.state).toBe("available");
          expect(ana.ok && ana.value.ref).toMatch(/^r_[0-9a-f]{20}$/);
        }
        if (from >= 2) {
          const r = await instance.getReservation("rsv_0123456789abcdef0123456789abcdef");
          expect(r.ok && r.value.callbackId).toBe("cb-old");
        }
        // The upgraded roster works: the digest reads the new columns.
        const digest = await instance.digest();
        expect(digest.agents).toHaveLength(from >= 1 ? 1 : 0);
      });
    });
  }
});
