// Readiness of the database for /ready: does it answer, and are all known migrations applied.
// Never fails and never waits longer than its timeout, so a dead database reads as "down", not as a hung probe.
import { Context, Duration, Effect, Exit, Layer } from "effect"
import { SqlClient } from "effect/sql"
import * as Migrations from "./Migrations.ts"

export interface HealthStatus {
  readonly database: boolean
  readonly migrations: boolean
}

export interface DatabaseHealthOptions {
  /** Longest time each probe may take; default 2 seconds. */
  readonly timeout?: Duration.Input | undefined
}

const make = Effect.fnUntraced(function* (options: DatabaseHealthOptions) {
  const sql = yield* SqlClient.SqlClient
  const timeout = options.timeout ?? Duration.seconds(2)

  // Exit.isSuccess turns every failure into `false`: typed SQL errors, the timeout, and defects from a broken socket.
  const probe = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>, ok: (a: A) => boolean) =>
    effect.pipe(
      Effect.timeout(timeout),
      Effect.provideService(SqlClient.SqlClient, sql),
      Effect.exit,
      Effect.map((exit) => Exit.isSuccess(exit) && ok(exit.value))
    )

  const database = probe(sql`SELECT 1 AS ok`, (rows) => rows.length === 1)
  const migrations = probe(Migrations.pending, (pending) => pending.length === 0)

  const check: Effect.Effect<HealthStatus> = Effect.flatMap(database, (up) =>
    // When the database does not answer, asking it about migrations would only wait for a second timeout.
    up
      ? Effect.map(migrations, (applied) => ({ database: true, migrations: applied }))
      : Effect.succeed({ database: false, migrations: false })
  ).pipe(Effect.withSpan("DatabaseHealth.check"))

  return { check }
})

export class DatabaseHealth extends Context.Service<
  DatabaseHealth,
  {
    /** Probes the database now; `database` is false when it does not answer `SELECT 1` within the timeout. */
    readonly check: Effect.Effect<HealthStatus>
  }
>()("@costline/server/database/DatabaseHealth") {
  static readonly layerWith = (
    options: DatabaseHealthOptions
  ): Layer.Layer<DatabaseHealth, never, SqlClient.SqlClient> =>
    Layer.effect(DatabaseHealth, Effect.map(make(options), DatabaseHealth.of))

  static readonly layer: Layer.Layer<DatabaseHealth, never, SqlClient.SqlClient> = DatabaseHealth.layerWith({})
}
