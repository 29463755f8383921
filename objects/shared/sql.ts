/**
 * SQL for Durable Object storage: every value is a bound parameter (the tagged
 * template turns `${x}` into `?`), and migrations are numbered steps applied once.
 */
export type SqlValue = string | number | null | ArrayBuffer;

export type Sql = <T extends Record<string, SqlValue> = Record<string, SqlValue>>(
  strings: TemplateStringsArray,
  ...values: SqlValue[]
) => SqlStorageCursor<T>;

export function sqlOf(storage: SqlStorage): Sql {
  return <T extends Record<string, SqlValue>>(strings: TemplateStringsArray, ...values: SqlValue[]) =>
    storage.exec<T>(strings.join("?"), ...values);
}

export interface Migration {
  version: number;
  name: string;
  /** Plain SQL statements, run in order inside one transaction. */
  up: readonly string[];
}

/** Applies, in order, every migration newer than the recorded version; returns the version reached. */
export function migrate(
  storage: DurableObjectStorage,
  migrations: readonly Migration[],
  nowMs: number,
  upTo = Number.POSITIVE_INFINITY,
): number {
  const sql = storage.sql;
  sql.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)",
  );
  const current = (sql.exec<{ v: number | null }>("SELECT max(version) AS v FROM schema_migrations").one().v ?? 0) as number;
  let reached = current;
  for (const m of migrations) {
    if (m.version <= current || m.version > upTo) continue;
    storage.transactionSync(() => {
      for (const statement of m.up) sql.exec(statement);
      sql.exec("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)", m.version, m.name, nowMs);
    });
    reached = m.version;
  }
  return reached;
}
