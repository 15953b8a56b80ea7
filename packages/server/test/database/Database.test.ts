// Profile selection from the environment, and how the PostgreSQL layer fails when the server is not there.
import * as path from "node:path"
import * as Database from "@costline/server/database/Database"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"

const profileFor = (env: Record<string, string>) => Database.profileConfig.parse(ConfigProvider.fromEnv({ env }))

describe("Database", () => {
  it.effect("selects PostgreSQL when DATABASE_URL is set", () =>
    Effect.gen(function* () {
      const profile = yield* profileFor({
        DATABASE_URL: "postgres://u:p@db:5432/costline",
        DATABASE_MAX_CONNECTIONS: "25"
      })
      assert.strictEqual(profile._tag, "Postgres")
      if (profile._tag !== "Postgres") return
      assert.strictEqual(
        Redacted.value(profile.options.url as Redacted.Redacted<string>),
        "postgres://u:p@db:5432/costline"
      )
      assert.strictEqual(profile.options.maxConnections, 25)
    })
  )

  it.effect("selects the embedded PGlite in COSTLINE_DATA_DIR/data otherwise", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* profileFor({ COSTLINE_DATA_DIR: "/var/lib/costline" }), {
        _tag: "Pglite",
        options: { dataDir: "/var/lib/costline/data" }
      })
      assert.deepStrictEqual(yield* profileFor({ DATABASE_URL: "  " }), {
        _tag: "Pglite",
        options: { dataDir: path.resolve(".costline", "data") }
      })
    })
  )

  it.effect("names a database URL without its credentials", () =>
    Effect.sync(() => {
      assert.strictEqual(
        Database.describeUrl("postgres://costline:s3cret@db.internal:6432/app"),
        "db.internal:6432/app"
      )
      assert.strictEqual(Database.describeUrl(Redacted.make("postgres://a:b@h/x")), "h:5432/x")
    })
  )

  it.live("fails with a connect error that names the server but not the password", () =>
    Effect.gen(function* () {
      // Port 1 on loopback refuses at once; waitForDatabase 0 turns off the startup retries.
      const layer = Database.layerPostgres({ url: "postgres://costline:s3cret@127.0.0.1:1/app", waitForDatabase: 0 })
      const error = yield* Effect.flip(Layer.build(layer))
      assert.strictEqual(error._tag, "DatabaseError")
      assert.strictEqual(error.operation, "connect")
      assert.include(error.message, "127.0.0.1:1/app")
      assert.include(error.message, "ECONNREFUSED")
      assert.notInclude(error.message, "s3cret")
    })
  )

  it.live("keeps retrying for waitForDatabase before giving up", () =>
    Effect.gen(function* () {
      const started = performance.now()
      const layer = Database.layerPostgres({
        url: "postgres://postgres@127.0.0.1:1/app",
        waitForDatabase: "1500 millis"
      })
      const error = yield* Effect.flip(Layer.build(layer))
      const ms = performance.now() - started
      assert.strictEqual(error.operation, "connect")
      assert.isAtLeast(ms, 1_000)
      assert.isBelow(ms, 5_000)
    })
  )
})
