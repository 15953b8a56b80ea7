// A fresh PostgreSQL database per test run on the server at TEST_DATABASE_URL, dropped (WITH (FORCE)) afterwards.
// Effect tests use the scoped layers; plain vitest hooks (e.g. end-to-end tests that start the server as a child
// process) use createTestDatabase().
import { randomUUID } from "node:crypto"
import * as Database from "@costline/server/database/Database"
import type { DatabaseError } from "@costline/server/database/DatabaseError"
import { PgClient } from "@effect/sql-pg"
import { Config, Context, Effect, Layer, Redacted } from "effect"
import type { SqlError } from "effect/sql/SqlError"

export const defaultAdminUrl = "postgres://postgres@127.0.0.1:5432/postgres"

// Only names we generate are ever dropped.
const namePattern = /^costline_test_[0-9a-f]{32}$/

export interface TestDatabaseInfo {
  /** Connection URL of the fresh database. */
  readonly url: string
  readonly name: string
}

const adminUrl = Config.withDefault(Config.String("TEST_DATABASE_URL"), defaultAdminUrl)

// One short-lived connection to the server's maintenance database per create/drop.
const withAdmin = <A>(f: (sql: PgClient.PgClient) => Effect.Effect<A, SqlError>) =>
  Effect.gen(function* () {
    const url = yield* adminUrl
    const sql = yield* PgClient.PgClient
    return yield* f(sql).pipe(Effect.map((a) => ({ a, url })))
  }).pipe(
    Effect.provide(
      Layer.unwrap(Effect.map(adminUrl, (url) => PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })))
    )
  )

/** Creates an empty database with a random name and returns its URL. */
export const create: Effect.Effect<TestDatabaseInfo, SqlError | Config.ConfigError> = Effect.gen(function* () {
  const name = `costline_test_${randomUUID().replaceAll("-", "")}`
  const { url } = yield* withAdmin((sql) => sql`CREATE DATABASE ${sql(name)}`)
  const target = new URL(url)
  target.pathname = `/${name}`
  return { url: target.toString(), name }
})

/** Drops a database made by `create`, disconnecting whoever still uses it. */
export const drop = (database: TestDatabaseInfo): Effect.Effect<void, SqlError | Config.ConfigError> =>
  namePattern.test(database.name)
    ? Effect.asVoid(withAdmin((sql) => sql`DROP DATABASE IF EXISTS ${sql(database.name)} WITH (FORCE)`))
    : Effect.die(new Error(`refusing to drop ${database.name}: not a test database`))

export class TestDatabase extends Context.Service<TestDatabase, TestDatabaseInfo>()("@costline/test/TestDatabase") {
  /** A fresh, empty database for the layer's lifetime. */
  static readonly layer: Layer.Layer<TestDatabase, SqlError | Config.ConfigError> = Layer.effect(
    TestDatabase,
    Effect.acquireRelease(create, (database) => Effect.orDie(drop(database)))
  )

  /** A fresh, empty database and a PgClient on it, without migrations (for tests of the migrations themselves). */
  static readonly layerClient: Layer.Layer<
    TestDatabase | Database.Client,
    SqlError | Config.ConfigError | DatabaseError
  > = Layer.unwrap(
    Effect.gen(function* () {
      const { url } = yield* TestDatabase
      return Database.clientPostgres({ url, maxConnections: 4 })
    })
  ).pipe(Layer.provideMerge(TestDatabase.layer))

  /**
   * A fresh database with every migration applied, plus the server's database services on it (PgClient, SqlClient,
   * DatabaseHealth). The client closes before the database is dropped.
   */
  static readonly layerMigrated: Layer.Layer<
    TestDatabase | Database.Services,
    SqlError | Config.ConfigError | DatabaseError
  > = Layer.unwrap(
    Effect.gen(function* () {
      const { url } = yield* TestDatabase
      return Database.layerPostgres({ url, maxConnections: 4, waitForDatabase: 0 })
    })
  ).pipe(Layer.provideMerge(TestDatabase.layer))
}

export interface TestDatabaseHandle extends TestDatabaseInfo {
  /** Drops the database; safe to call more than once. */
  readonly drop: () => Promise<void>
}

/**
 * For plain vitest hooks: creates a fresh database (migrated when `migrate` is true) and returns its URL and a drop.
 *
 * @example
 * let db: TestDatabaseHandle
 * beforeAll(async () => { db = await createTestDatabase() })
 * afterAll(() => db.drop())
 */
export const createTestDatabase = (options: { readonly migrate?: boolean } = {}): Promise<TestDatabaseHandle> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const database = yield* create
      if (options.migrate === true) {
        yield* Database.migrate({ target: database.name }).pipe(
          Effect.provide(Database.clientPostgres({ url: database.url, maxConnections: 1 })),
          Effect.onError(() => Effect.ignore(drop(database)))
        )
      }
      return database
    })
  ).then((database) => ({ ...database, drop: () => Effect.runPromise(drop(database)) }))
