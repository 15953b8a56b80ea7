// The test-support databases: each is fresh, reachable at its URL, and gone after drop.
import * as Database from "@costline/server/database/Database"
import * as Migrations from "@costline/server/database/Migrations"
import { PgClient } from "@effect/sql-pg"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { createTestDatabase, defaultAdminUrl, TestDatabase } from "../../../../test/support/TestDatabase.ts"

const adminUrl = process.env.TEST_DATABASE_URL ?? defaultAdminUrl

const databaseExists = (name: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql`SELECT 1 FROM pg_database WHERE datname = ${name}`
    return rows.length === 1
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(adminUrl), maxConnections: 1 })))

const pendingAt = (url: string) =>
  Migrations.pending.pipe(Effect.provide(Database.clientPostgres({ url, maxConnections: 1 })))

describe("TestDatabase", () => {
  const handles: Array<{ drop: () => Promise<void> }> = []
  afterAll(() => Promise.all(handles.map((handle) => handle.drop())))

  it.live("createTestDatabase gives an empty database, migrated on request, and drop removes it", () =>
    Effect.gen(function* () {
      const empty = yield* Effect.promise(() => createTestDatabase())
      const migrated = yield* Effect.promise(() => createTestDatabase({ migrate: true }))
      handles.push(empty, migrated)
      assert.notStrictEqual(empty.name, migrated.name)
      assert.match(empty.url, /\/costline_test_[0-9a-f]{32}$/)

      assert.isAbove((yield* pendingAt(empty.url)).length, 0)
      assert.deepStrictEqual(yield* pendingAt(migrated.url), [])

      assert.isTrue(yield* databaseExists(empty.name))
      // Dropped WITH (FORCE): a client still connected to it (a child server that did not exit) does not block it.
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`SELECT 1`
        yield* Effect.promise(() => empty.drop())
      }).pipe(Effect.provide(Database.clientPostgres({ url: empty.url, maxConnections: 1 })))
      assert.isFalse(yield* databaseExists(empty.name))
      // A second drop is harmless (afterAll drops again).
      yield* Effect.promise(() => empty.drop())
    })
  )

  it.live("the scoped layer drops its database when the scope closes", () =>
    Effect.gen(function* () {
      const name = yield* Effect.gen(function* () {
        const { name } = yield* TestDatabase
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE t (id int)`
        return name
      }).pipe(Effect.provide(TestDatabase.layerClient))
      assert.isFalse(yield* databaseExists(name))
    })
  )
})
