// The worker's configuration: the shared AppConfig (it must be the production profile) plus its own settings —
// concurrency per queue, the health port, how long to wait for the actors — read once from the environment.
import type { JobQueueName } from "@costline/core"
import { type AppConfigShape, ConfigInvalid, parseConfig } from "@costline/server/config/AppConfig"
import { type JobTimeouts, parseJobTimeouts } from "@costline/server/jobs/JobTimeouts"
import { Effect, type Redacted } from "effect"

export interface WorkerConfig {
  readonly app: AppConfigShape
  /** Always set: the worker only runs in the production profile. */
  readonly databaseUrl: Redacted.Redacted<string>
  /** Jobs each queue runs at once in this process (WORKER_CONCURRENCY_HIGH / _DEFAULT / _LOW; default 4 / 2 / 1). */
  readonly concurrency: Readonly<Record<JobQueueName, number>>
  /** Port of /health and /metrics (WORKER_HEALTH_PORT; default 9464; 0 lets the OS pick). */
  readonly healthPort: number
  readonly healthHost: string
  /**
   * How long a job's lock lasts without renewal (WORKER_LOCK_MS; default 30000): after a worker dies, its running jobs
   * wait about this long (twice at most) before another worker takes them over.
   */
  readonly lockMs: number
  /**
   * How often the worker re-hands unfinished jobs untouched for a while to BullMQ (WORKER_SWEEP_MS; default 60000; 0
   * turns it off), which repairs jobs whose hand-off was lost (Redis down or flushed after the row was written).
   */
  readonly sweepMs: number
  /** How long a job must have been untouched before the sweep re-hands it (WORKER_SWEEP_AFTER_MS; default 30000). */
  readonly sweepAfterMs: number
  /** Per job type (JOB_TIMEOUT_<TYPE>, see JobTimeouts.ts). */
  readonly jobTimeouts: JobTimeouts
  /**
   * How long a processor waits for a project's actor (on a server) to answer one command (WORKER_ACTOR_TIMEOUT_MS;
   * default 60000): with no server up the attempt then fails and the job is retried later.
   */
  readonly actorTimeoutMs: number
}

type Env = Readonly<Record<string, string | undefined>>

const wholeNumber = (env: Env, name: string, fallback: number, max: number): Effect.Effect<number, ConfigInvalid> => {
  const raw = env[name]
  if (raw === undefined || raw.trim() === "") return Effect.succeed(fallback)
  const value = Number(raw)
  return /^\d+$/.test(raw.trim()) && value <= max
    ? Effect.succeed(value)
    : Effect.fail(
        new ConfigInvalid({
          variable: name,
          message: `${name}=${JSON.stringify(raw)} is invalid: expected a whole number from 0 to ${max}`
        })
      )
}

export const parseWorkerConfig = (env: Env): Effect.Effect<WorkerConfig, ConfigInvalid> =>
  Effect.gen(function* () {
    const missing = ["DATABASE_URL", "REDIS_URL"].filter((name) => (env[name] ?? "") === "")
    if (missing.length > 0) {
      return yield* new ConfigInvalid({
        variable: missing[0]!,
        message: `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} missing: the worker runs BullMQ jobs of the production profile and needs both DATABASE_URL and REDIS_URL (the embedded profile runs jobs inside the server)`
      })
    }
    // The worker signs and verifies no tokens, so operators need not hand it the server's secret.
    const app = yield* parseConfig(env, { requireJwtSecret: false })
    const concurrency = {
      high: yield* wholeNumber(env, "WORKER_CONCURRENCY_HIGH", 4, 256),
      default: yield* wholeNumber(env, "WORKER_CONCURRENCY_DEFAULT", 2, 256),
      low: yield* wholeNumber(env, "WORKER_CONCURRENCY_LOW", 1, 256)
    }
    if (concurrency.high + concurrency.default + concurrency.low === 0) {
      return yield* new ConfigInvalid({
        variable: "WORKER_CONCURRENCY_DEFAULT",
        message: "WORKER_CONCURRENCY_HIGH, _DEFAULT and _LOW are all 0: this worker would run no queue"
      })
    }
    if (app.databaseUrl === undefined) {
      return yield* new ConfigInvalid({ variable: "DATABASE_URL", message: "DATABASE_URL is missing" })
    }
    return {
      app,
      databaseUrl: app.databaseUrl,
      concurrency,
      healthPort: yield* wholeNumber(env, "WORKER_HEALTH_PORT", 9464, 65535),
      healthHost:
        env.WORKER_HEALTH_HOST === undefined || env.WORKER_HEALTH_HOST === "" ? "0.0.0.0" : env.WORKER_HEALTH_HOST,
      lockMs: Math.max(100, yield* wholeNumber(env, "WORKER_LOCK_MS", 30_000, 3_600_000)),
      sweepMs: yield* wholeNumber(env, "WORKER_SWEEP_MS", 60_000, 86_400_000),
      sweepAfterMs: yield* wholeNumber(env, "WORKER_SWEEP_AFTER_MS", 30_000, 86_400_000),
      jobTimeouts: yield* parseJobTimeouts(env),
      actorTimeoutMs: Math.max(100, yield* wholeNumber(env, "WORKER_ACTOR_TIMEOUT_MS", 60_000, 3_600_000))
    }
  })
