// The SqlClient of both profiles, PostgreSQL (production) or an embedded PGlite (the default), with every migration
// applied before anything else may use it. Owns connecting, migrating and the profile choice; repositories own queries.
import * as path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { Config, Duration, Effect, Layer, Option, Redacted, Schedule } from "effect"
import type { SqlClient } from "effect/sql"
import { isSqlError, type SqlError } from "effect/sql/SqlError"
import { DatabaseError } from "./DatabaseError.ts"
import { DatabaseHealth } from "./DatabaseHealth.ts"
import * as Migrations from "./Migrations.ts"
import * as PgliteServer from "./PgliteServer.ts"

/** What a client layer provides: the same PgClient under both tags. */
export type Client = PgClient.PgClient | SqlClient.SqlClient

/** What a migrated layer provides. */
export type Services = Client | DatabaseHealth

export interface PostgresOptions {
  /** postgres://user:password@host:port/database */
  readonly url: Redacted.Redacted | string
  /** Pool size; default 10. */
  readonly maxConnections?: number | undefined
  /**
   * How long startup keeps retrying while PostgreSQL refuses connections, e.g. a container that is still booting.
   * Default `defaultWaitForDatabase` (30 seconds); 0 fails at the first refusal.
   */
  readonly waitForDatabase?: Duration.Input | undefined
}

export type PgliteOptions = PgliteServer.PgliteServerOptions

/** Names a PostgreSQL URL without its credentials, e.g. "db.internal:5432/costline". */
export const describeUrl = (url: Redacted.Redacted | string): string => {
  const parsed = URL.parse(Redacted.isRedacted(url) ? String(Redacted.value(url)) : url)
  return parsed === null
    ? "the server in DATABASE_URL (the URL does not parse)"
    : `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`
}

/** Names an embedded database for logs and errors. */
export const embeddedTarget = (options: PgliteOptions): string =>
  options.dataDir === undefined ? "the in-memory embedded database" : `the embedded database in ${options.dataDir}`

/** Where the embedded profile keeps PGlite's files inside COSTLINE_DATA_DIR. */
export const embeddedDataDir = (costlineDataDir: string): string => path.resolve(costlineDataDir, "data")

const redact = (url: Redacted.Redacted | string): Redacted.Redacted =>
  Redacted.isRedacted(url) ? url : Redacted.make(url)

/** How many statements may be pipelined on one pooled PostgreSQL connection (see `clientPostgres`). */
const STATEMENTS_PER_CONNECTION = 8

/** A pooled PgClient for PostgreSQL, without migrations (see `layerPostgres`). Connects lazily. */
export const clientPostgres = (options: PostgresOptions): Layer.Layer<Client, DatabaseError> => {
  const url = redact(options.url)
  return PgClient.layerFrom(
    // Multiplexing lets concurrent statements share a pooled connection, pipelined, instead of queueing for one of
    // their own: about a fifth less CPU per request in bench/projectGet.bench.ts. Statements on one connection run
    // in order, so a slow one delays those pipelined behind it; 8 per connection kept nearly all of the gain measured
    // with 32 (the library default) while bounding that wait. Transactions and streams still reserve a connection.
    PgClient.make({
      url,
      maxConnections: options.maxConnections ?? 10,
      multiplex: true,
      multiplexConcurrency: STATEMENTS_PER_CONNECTION
    }).pipe(
      Effect.mapError(
        (cause) =>
          new DatabaseError({
            operation: "connect",
            message: `Could not set up the PostgreSQL client for ${describeUrl(url)}: ${cause.message}. Check DATABASE_URL.`,
            cause
          })
      )
    )
  )
}

/**
 * PGlite served on a local port plus a PgClient pointed at it, without migrations (see `layerPglite`). The pool has
 * exactly one connection (PgliteServer explains why): queries and transactions run one at a time. Closing the layer
 * closes the client, then the socket server, then PGlite (finalizers run in reverse order of acquisition).
 */
export const clientPglite = (options: PgliteOptions): Layer.Layer<Client, DatabaseError> =>
  PgClient.layerFrom(
    Effect.gen(function* () {
      const server = yield* PgliteServer.make(options)
      return yield* PgClient.make({
        host: server.host,
        port: server.port,
        username: "postgres",
        database: "postgres",
        applicationName: "costline-embedded",
        maxConnections: server.maxConnections,
        // PGlite runs one statement at a time whatever the client does: pipelining over the one connection saves a
        // round trip per statement (about a third more requests per second in bench/projectGet.bench.ts).
        multiplex: true
      }).pipe(
        Effect.mapError(
          (cause) =>
            new DatabaseError({
              operation: "start_embedded",
              message: `Could not connect to the embedded database: ${cause.message}`,
              cause
            })
        )
      )
    })
  )

const isConnectionError = (error: unknown): error is SqlError =>
  isSqlError(error) && error.reason._tag === "ConnectionError"

// "PgConnection: Failed to connect" alone does not say why; the socket error underneath does (ECONNREFUSED …).
const connectionDetail = (error: SqlError): string => {
  const cause = error.reason.cause
  return cause instanceof Error && cause.message !== "" ? `${error.message} (${cause.message})` : error.message
}

// As the file is named: 0004_budget_versions.
const migrationName = ([id, name]: readonly [number, string]): string => `${String(id).padStart(4, "0")}_${name}`

export interface MigrateOptions {
  /** Keep retrying this long while the server refuses connections; default 0 (no retry). */
  readonly waitForDatabase?: Duration.Input | undefined
  /** Names the database in logs and errors, e.g. "db.internal:5432/costline"; never include credentials. */
  readonly target?: string | undefined
}

/** Applies pending migrations on the provided client and logs what it applied. */
export const migrate = (
  options: MigrateOptions = {}
): Effect.Effect<Migrations.Applied, DatabaseError, SqlClient.SqlClient> => {
  const wait = Duration.fromInputUnsafe(options.waitForDatabase ?? 0)
  const target = options.target ?? "the database"
  const retried = Duration.isZero(wait)
    ? Migrations.run
    : Effect.suspend(() => {
        let refusals = 0
        return Migrations.run.pipe(
          Effect.retry({
            while: (error) => {
              if (!isConnectionError(error)) return Effect.succeed(false)
              refusals++
              // Say it once, then every 10 attempts, so a booting container does not flood the log.
              return refusals % 10 === 1
                ? Effect.as(
                    Effect.logWarning(
                      `Waiting for ${target} (up to ${Duration.format(wait)}): ${connectionDetail(error)}`
                    ),
                    true
                  )
                : Effect.succeed(true)
            },
            schedule: Schedule.spaced("1 second").pipe(Schedule.upTo({ duration: wait }))
          })
        )
      })
  return retried.pipe(
    Effect.tap((applied) =>
      applied.length === 0
        ? Effect.logDebug(`The schema of ${target} is up to date`)
        : Effect.logInfo(`Applied migrations to ${target}: ${applied.map(migrationName).join(", ")}`)
    ),
    Effect.mapError((cause) =>
      isConnectionError(cause)
        ? new DatabaseError({
            operation: "connect",
            message: `Could not reach ${target}: ${connectionDetail(cause)}. Check that it runs and that DATABASE_URL points at it.`,
            cause
          })
        : new DatabaseError({
            operation: "migrate",
            message: `Could not apply the migrations to ${target}: ${cause.message}`,
            cause
          })
    ),
    Effect.withSpan("Database.migrate")
  )
}

const withMigrations = (
  client: Layer.Layer<Client, DatabaseError>,
  options: MigrateOptions
): Layer.Layer<Services, DatabaseError> =>
  Layer.merge(Layer.effectDiscard(migrate(options)), DatabaseHealth.layer).pipe(Layer.provideMerge(client))

/** How long PostgreSQL startup waits for a server that refuses connections, unless told otherwise. */
export const defaultWaitForDatabase: Duration.Duration = Duration.seconds(30)

/** Production profile: PostgreSQL at `url`, migrated before the layer is ready. */
export const layerPostgres = (options: PostgresOptions): Layer.Layer<Services, DatabaseError> =>
  withMigrations(clientPostgres(options), {
    waitForDatabase: options.waitForDatabase ?? defaultWaitForDatabase,
    target: `PostgreSQL at ${describeUrl(redact(options.url))}`
  })

/** Embedded profile: PGlite in `dataDir` (in memory when undefined), migrated before the layer is ready. */
export const layerPglite = (options: PgliteOptions): Layer.Layer<Services, DatabaseError> =>
  withMigrations(clientPglite(options), { target: embeddedTarget(options) })

/** Which profile the environment selects, and its settings. */
export type Profile =
  | { readonly _tag: "Postgres"; readonly options: PostgresOptions }
  | { readonly _tag: "Pglite"; readonly options: PgliteOptions }

/**
 * DATABASE_URL (non-empty) selects PostgreSQL, with DATABASE_MAX_CONNECTIONS (default 10); otherwise PGlite in
 * `${COSTLINE_DATA_DIR}/data` (COSTLINE_DATA_DIR defaults to ./.costline).
 */
export const profileConfig: Config.Config<Profile> = Config.all({
  url: Config.option(Config.Redacted("DATABASE_URL")),
  maxConnections: Config.withDefault(Config.Int("DATABASE_MAX_CONNECTIONS"), 10),
  dataDir: Config.withDefault(Config.String("COSTLINE_DATA_DIR"), "./.costline")
}).pipe(
  Config.map(({ dataDir, maxConnections, url }): Profile => {
    const databaseUrl = Option.filter(url, (value) => Redacted.value(value).trim() !== "")
    return Option.isSome(databaseUrl)
      ? { _tag: "Postgres", options: { url: databaseUrl.value, maxConnections } }
      : { _tag: "Pglite", options: { dataDir: embeddedDataDir(dataDir) } }
  })
)

/** The migrated database of the profile the environment selects (see `profileConfig`). */
export const layerConfig: Layer.Layer<Services, DatabaseError | Config.ConfigError> = Layer.unwrap(
  Effect.map(profileConfig, (profile) =>
    profile._tag === "Postgres" ? layerPostgres(profile.options) : layerPglite(profile.options)
  )
)
