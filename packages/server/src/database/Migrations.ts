// Applies and inspects the numbered migrations of `migrations/` on whatever SqlClient is provided.
// Does not own the schema itself (that is `migrations/`) nor when migrations run (the Database layers and migrate.ts).
import { Effect } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import { loader } from "../../../../migrations/index.ts"

/** The bookkeeping table the migrator records applied ids in (the @effect/sql default). */
export const table = "effect_sql_migrations"

export type Applied = ReadonlyArray<readonly [id: number, name: string]>

// PgMigrator.run is this same migrator plus a pg_dump-based schema dump. The dump only runs when `schemaDirectory` is
// set, which we never do, yet its type still demands FileSystem, Path and ChildProcessSpawner. The plain migrator has
// the identical run logic (one transaction, LOCK TABLE against concurrent runners) without those requirements, which
// also keeps the embedded profile free of child processes.
const migrator = Migrator.make({})

/** Runs every pending migration in one transaction and returns the ones it applied (empty when up to date). */
export const run: Effect.Effect<Applied, Migrator.MigrationError | SqlError, SqlClient.SqlClient> = migrator({
  loader,
  table
})

/** Every migration this build knows, in id order. */
export const known: Effect.Effect<Applied> = Effect.map(
  // fromRecord cannot fail: it only parses the record's keys.
  Effect.orDie(loader),
  (migrations) => migrations.map(([id, name]) => [id, name] as const)
)

/** The known migrations that the database has not recorded as applied. */
export const pending: Effect.Effect<Applied, SqlError, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const all = yield* known
  const [exists] = yield* sql<{ readonly found: boolean }>`SELECT to_regclass(${table}) IS NOT NULL AS found`
  if (exists?.found !== true) return all
  const rows = yield* sql<{ readonly migration_id: number }>`SELECT migration_id FROM ${sql(table)}`
  const applied = new Set(rows.map((row) => row.migration_id))
  return all.filter(([id]) => !applied.has(id))
})
