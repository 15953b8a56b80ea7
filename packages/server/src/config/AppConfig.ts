// Process configuration read once from the environment; the profile (embedded or production) follows from it alone.
import { hostname, networkInterfaces } from "node:os"
import { Context, Effect, Layer, Redacted, Schema } from "effect"

export type Profile = "embedded" | "production"
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal"

export interface AppConfigShape {
  readonly profile: Profile
  readonly port: number
  readonly host: string
  readonly dataDir: string
  /** Uploaded documents and exports, content-addressed; shared by every server and worker process. */
  readonly blobDir: string
  readonly databaseUrl: Redacted.Redacted<string> | undefined
  readonly redisUrl: Redacted.Redacted<string> | undefined
  /** Every Redis key and BullMQ queue of this deployment starts with it, so several deployments (or test runs) can share a Redis. */
  readonly redisPrefix: string
  /** Undefined in the embedded profile until the data dir supplies one (see JwtSecret). */
  readonly jwtSecret: Redacted.Redacted<string> | undefined
  readonly logLevel: LogLevel
  readonly corsOrigins: ReadonlyArray<string>
  readonly maxBodyBytes: number
  /** Largest uploaded document (the file in a multipart upload); bigger ones get 413. */
  readonly maxUploadBytes: number
  readonly databasePoolSize: number
  readonly shutdownTimeoutMs: number
  /**
   * Where this server's cluster runner listens for the other servers and the workers (production profile):
   * CLUSTER_HOST (default HOST) and CLUSTER_PORT (default 34431; 0 lets the OS pick, and that port is advertised).
   */
  readonly clusterHost: string
  readonly clusterPort: number
  /**
   * The host name or IP address the other processes reach this runner at (CLUSTER_ADVERTISE_HOST); defaults to
   * CLUSTER_HOST, or, when that is a wildcard address such as 0.0.0.0, to this machine's first external IPv4 address.
   */
  readonly clusterAdvertiseHost: string
}

/** The port effect/cluster runners use unless told otherwise. */
export const DEFAULT_CLUSTER_PORT = 34431

const WILDCARD_HOSTS: ReadonlyArray<string> = ["0.0.0.0", "::", "[::]", "::0"]

/**
 * Where the others can reach a runner that listens on every interface: the first external IPv4 address (a container's
 * or a pod's own address, which peers can connect to, unlike its host name), else the host name.
 */
export const defaultAdvertiseHost = (): string => {
  for (const addresses of Object.values(networkInterfaces())) {
    const external = addresses?.find((address) => address.family === "IPv4" && !address.internal)
    if (external !== undefined) return external.address
  }
  return hostname()
}

/** A configuration value that stops startup; the message is the one line the operator sees. */
export class ConfigInvalid extends Schema.TaggedError<ConfigInvalid>()("ConfigInvalid", {
  variable: Schema.String,
  message: Schema.String
}) {}

type Env = Readonly<Record<string, string | undefined>>

const LOG_LEVELS: ReadonlyArray<LogLevel> = ["trace", "debug", "info", "warn", "error", "fatal"]

const integer = (env: Env, name: string, fallback: number, min: number, max: number): number | ConfigInvalid => {
  const raw = env[name]
  if (raw === undefined || raw === "") return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    return new ConfigInvalid({
      variable: name,
      message: `${name}=${JSON.stringify(raw)} is invalid: expected a whole number from ${min} to ${max}`
    })
  }
  return value
}

const url = (env: Env, name: string, protocols: ReadonlyArray<string>): string | undefined | ConfigInvalid => {
  const raw = env[name]
  if (raw === undefined || raw === "") return undefined
  const parsed = URL.canParse(raw) ? new URL(raw) : undefined
  if (parsed === undefined || !protocols.includes(parsed.protocol)) {
    return new ConfigInvalid({
      variable: name,
      message: `${name} is invalid: expected a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`
    })
  }
  return raw
}

/**
 * Reads the configuration from an environment; the first invalid variable is the error. Processes that sign no
 * tokens (workers) pass `requireJwtSecret: false`.
 */
export const parseConfig = (
  env: Env,
  options: { readonly requireJwtSecret?: boolean } = {}
): Effect.Effect<AppConfigShape, ConfigInvalid> =>
  Effect.gen(function* () {
    const check = <A>(value: A | ConfigInvalid): Effect.Effect<A, ConfigInvalid> =>
      value instanceof ConfigInvalid ? Effect.fail(value) : Effect.succeed(value)

    const port = yield* check(integer(env, "PORT", 8080, 0, 65535))
    const databaseUrl = yield* check(url(env, "DATABASE_URL", ["postgres:", "postgresql:"]))
    const redisUrl = yield* check(url(env, "REDIS_URL", ["redis:", "rediss:"]))
    if ((databaseUrl === undefined) !== (redisUrl === undefined)) {
      const missing = databaseUrl === undefined ? "DATABASE_URL" : "REDIS_URL"
      return yield* new ConfigInvalid({
        variable: missing,
        message: `${missing} is missing: the production profile needs both DATABASE_URL and REDIS_URL; unset both for the embedded profile`
      })
    }
    const profile: Profile = databaseUrl === undefined ? "embedded" : "production"
    const jwtSecret = env.JWT_SECRET === undefined || env.JWT_SECRET === "" ? undefined : env.JWT_SECRET
    if (profile === "production" && jwtSecret === undefined && options.requireJwtSecret !== false) {
      return yield* new ConfigInvalid({
        variable: "JWT_SECRET",
        message: "JWT_SECRET is missing: the production profile needs a secret of at least 32 characters"
      })
    }
    if (jwtSecret !== undefined && jwtSecret.length < 32) {
      return yield* new ConfigInvalid({
        variable: "JWT_SECRET",
        message: "JWT_SECRET is too short: expected at least 32 characters (e.g. `openssl rand -hex 32`)"
      })
    }
    const logLevel = (env.LOG_LEVEL ?? "info").toLowerCase()
    if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
      return yield* new ConfigInvalid({
        variable: "LOG_LEVEL",
        message: `LOG_LEVEL=${JSON.stringify(env.LOG_LEVEL)} is invalid: expected one of ${LOG_LEVELS.join(", ")}`
      })
    }
    const corsOrigins = (env.CORS_ORIGINS ?? "")
      .split(",")
      .map((origin) => origin.trim())
      .filter((origin) => origin !== "")
    for (const origin of corsOrigins) {
      if (origin !== "*" && !/^https?:\/\/[^/\s]+$/.test(origin)) {
        return yield* new ConfigInvalid({
          variable: "CORS_ORIGINS",
          message: `CORS_ORIGINS contains ${JSON.stringify(origin)}: expected a comma-separated list of origins such as https://app.example.com, or *`
        })
      }
    }
    const redisPrefix = env.REDIS_PREFIX === undefined || env.REDIS_PREFIX === "" ? "costline" : env.REDIS_PREFIX
    if (!/^[A-Za-z0-9:_-]{1,64}$/.test(redisPrefix)) {
      return yield* new ConfigInvalid({
        variable: "REDIS_PREFIX",
        message: "REDIS_PREFIX is invalid: expected 1–64 letters, digits, ':', '_' or '-'"
      })
    }
    const dataDir =
      env.COSTLINE_DATA_DIR === undefined || env.COSTLINE_DATA_DIR === "" ? "./.costline" : env.COSTLINE_DATA_DIR
    const host = env.HOST === undefined || env.HOST === "" ? "0.0.0.0" : env.HOST
    const cluster = yield* check(clusterAddress(env, { host, port }))
    return {
      profile,
      port,
      host,
      dataDir,
      blobDir: env.BLOB_DIR === undefined || env.BLOB_DIR === "" ? `${dataDir}/blobs` : env.BLOB_DIR,
      databaseUrl: databaseUrl === undefined ? undefined : Redacted.make(databaseUrl),
      redisUrl: redisUrl === undefined ? undefined : Redacted.make(redisUrl),
      redisPrefix,
      jwtSecret: jwtSecret === undefined ? undefined : Redacted.make(jwtSecret),
      logLevel: logLevel as LogLevel,
      corsOrigins,
      maxBodyBytes: yield* check(integer(env, "MAX_BODY_BYTES", 1024 * 1024, 1024, 1024 * 1024 * 1024)),
      maxUploadBytes: yield* check(integer(env, "MAX_UPLOAD_BYTES", 50 * 1024 * 1024, 1024, 1024 * 1024 * 1024)),
      databasePoolSize: yield* check(integer(env, "DATABASE_POOL_SIZE", 10, 1, 500)),
      shutdownTimeoutMs: yield* check(integer(env, "SHUTDOWN_TIMEOUT_MS", 10_000, 0, 600_000)),
      ...cluster
    }
  })

const hostPattern = /^[A-Za-z0-9._:[\]%-]{1,253}$/

/** CLUSTER_HOST, CLUSTER_PORT and CLUSTER_ADVERTISE_HOST, checked against each other and against HOST/PORT. */
const clusterAddress = (
  env: Env,
  http: { readonly host: string; readonly port: number }
): Pick<AppConfigShape, "clusterHost" | "clusterPort" | "clusterAdvertiseHost"> | ConfigInvalid => {
  const clusterHost = env.CLUSTER_HOST === undefined || env.CLUSTER_HOST === "" ? http.host : env.CLUSTER_HOST
  if (!hostPattern.test(clusterHost)) {
    return new ConfigInvalid({
      variable: "CLUSTER_HOST",
      message: `CLUSTER_HOST=${JSON.stringify(clusterHost)} is invalid: expected a host name or IP address to listen on, such as 0.0.0.0`
    })
  }
  const clusterPort = integer(env, "CLUSTER_PORT", DEFAULT_CLUSTER_PORT, 0, 65535)
  if (clusterPort instanceof ConfigInvalid) return clusterPort
  if (clusterPort !== 0 && clusterPort === http.port) {
    return new ConfigInvalid({
      variable: "CLUSTER_PORT",
      message: `CLUSTER_PORT=${clusterPort} is also PORT, the HTTP port: give the cluster runner a port of its own (or 0 to pick a free one)`
    })
  }
  const advertised = env.CLUSTER_ADVERTISE_HOST
  if (advertised === undefined || advertised === "") {
    return {
      clusterHost,
      clusterPort,
      clusterAdvertiseHost: WILDCARD_HOSTS.includes(clusterHost) ? defaultAdvertiseHost() : clusterHost
    }
  }
  if (!hostPattern.test(advertised) || WILDCARD_HOSTS.includes(advertised)) {
    return new ConfigInvalid({
      variable: "CLUSTER_ADVERTISE_HOST",
      message: `CLUSTER_ADVERTISE_HOST=${JSON.stringify(advertised)} is invalid: expected the host name or IP address (no scheme, no port, not a wildcard) at which the other servers and the workers reach this one`
    })
  }
  return { clusterHost, clusterPort, clusterAdvertiseHost: advertised }
}

export class AppConfig extends Context.Service<AppConfig, AppConfigShape>()("@costline/server/AppConfig") {
  /** Reads process.env. */
  static readonly layer = Layer.effect(AppConfig, parseConfig(process.env))
  static readonly layerFrom = (env: Env) => Layer.effect(AppConfig, parseConfig(env))
}
