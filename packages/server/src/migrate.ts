// Entry point of `npm run migrate`: applies pending migrations to the database the environment selects
// (DATABASE_URL, else the embedded PGlite in COSTLINE_DATA_DIR), logs what it did, exits 0 on success and 1 on failure.
// Do not point it at an embedded data directory a running server has open: PGlite allows one process per directory.
import { NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import * as Database from "./database/Database.ts"

const program = Effect.gen(function* () {
  const profile = yield* Database.profileConfig
  const client =
    profile._tag === "Postgres" ? Database.clientPostgres(profile.options) : Database.clientPglite(profile.options)
  const target =
    profile._tag === "Postgres"
      ? `PostgreSQL at ${Database.describeUrl(profile.options.url)}`
      : Database.embeddedTarget(profile.options)
  yield* Effect.logInfo(`Migrating ${target}`)
  const waitForDatabase = profile._tag === "Postgres" ? Database.defaultWaitForDatabase : 0
  const applied = yield* Effect.provide(Database.migrate({ waitForDatabase, target }), client)
  // Database.migrate already logs the ids it applied.
  if (applied.length === 0) yield* Effect.logInfo("Nothing to apply: the schema is up to date")
})

NodeRuntime.runMain(program)
