// The migrations build the same schema on PostgreSQL 15 and on PGlite, and a second run changes nothing.
import * as Database from "@costline/server/database/Database"
import * as Migrations from "@costline/server/database/Migrations"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { TestDatabase } from "../../../../test/support/TestDatabase.ts"

const expectedTables = [
  "activity_log",
  "api_keys",
  "audit_results",
  "background_jobs",
  "budget_versions",
  "catalog_items",
  "chat_history",
  "effect_sql_migrations",
  "kb_cache",
  "positions",
  "project_documents",
  "project_events",
  "project_members",
  "projects",
  "sessions",
  "users"
]

// Everything a query or a constraint could notice. NOT NULL constraints are compared through the columns
// (is_nullable): PostgreSQL 18 (PGlite) also lists them in pg_constraint as contype 'n', PostgreSQL 15 does not.
const snapshot = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const tables = yield* sql<{ readonly table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`
  const columns = yield* sql`
    SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default,
           numeric_precision, numeric_scale, character_maximum_length
    FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`
  const indexes = yield* sql`
    SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname`
  const constraints = yield* sql`
    SELECT conrelid::regclass::text AS table_name, conname, contype, pg_get_constraintdef(oid) AS definition,
           confdeltype, confupdtype
    FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace AND contype IN ('p', 'u', 'f', 'c', 'x')
    ORDER BY conrelid::regclass::text, conname`
  const sequences = yield* sql`
    SELECT sequence_name, data_type FROM information_schema.sequences WHERE sequence_schema = 'public'
    ORDER BY sequence_name`
  return { tables: tables.map((row) => row.table_name), columns, indexes, constraints, sequences }
})

// Migrate twice and look at the schema; the caller provides the client.
const migrateTwice = Effect.gen(function* () {
  const first = yield* Migrations.run
  const schema = yield* snapshot
  const second = yield* Migrations.run
  const pending = yield* Migrations.pending
  const afterSecond = yield* snapshot
  return { first, second, pending, schema, afterSecond }
})

describe("migrations", () => {
  it.live(
    "apply on PostgreSQL and on PGlite, give both the same schema, and are a no-op the second time",
    () =>
      Effect.gen(function* () {
        const known = yield* Migrations.known
        const postgres = yield* migrateTwice.pipe(Effect.provide(TestDatabase.layerClient))
        const pglite = yield* migrateTwice.pipe(Effect.provide(Database.clientPglite({ dataDir: undefined })))

        for (const [profile, result] of [
          ["postgres", postgres],
          ["pglite", pglite]
        ] as const) {
          assert.deepStrictEqual(result.first, known, `${profile}: the first run applies every known migration`)
          assert.deepStrictEqual(result.second, [], `${profile}: the second run applies nothing`)
          assert.deepStrictEqual(result.pending, [], `${profile}: nothing is pending`)
          assert.deepStrictEqual(result.schema.tables, expectedTables, `${profile}: tables`)
          assert.deepStrictEqual(result.afterSecond, result.schema, `${profile}: the second run changed the schema`)
        }
        assert.isAbove(known.length, 0)

        assert.deepStrictEqual(pglite.schema.columns, postgres.schema.columns, "columns differ")
        assert.deepStrictEqual(pglite.schema.indexes, postgres.schema.indexes, "indexes differ")
        assert.deepStrictEqual(pglite.schema.constraints, postgres.schema.constraints, "constraints differ")
        assert.deepStrictEqual(pglite.schema.sequences, postgres.schema.sequences, "sequences differ")
        // Spot-check that the comparison compares something real.
        assert.isAbove(postgres.schema.columns.length, 150)
        assert.isAbove(postgres.schema.indexes.length, 30)
        assert.isAbove(postgres.schema.constraints.length, 50)
      }),
    120_000
  )

  it.live("record every known migration id, so a database migrated by an older build shows what is pending", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const known = yield* Migrations.known
      assert.deepStrictEqual(yield* Migrations.pending, known, "nothing applied yet: everything is pending")
      yield* Migrations.run
      const latest = known[known.length - 1]!
      // Pretend the newest migration has not been applied yet.
      yield* sql`DELETE FROM effect_sql_migrations WHERE migration_id = ${latest[0]}`
      assert.deepStrictEqual(yield* Migrations.pending, [latest])
    }).pipe(Effect.provide(TestDatabase.layerClient))
  )
})
