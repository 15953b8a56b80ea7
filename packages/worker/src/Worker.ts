// The worker process as one Effect: PostgreSQL, Redis, the job runner with every built-in processor, BullMQ workers on
// the three queues and the health server. Runs until interrupted, then stops taking jobs, lets the running ones finish
// for SHUTDOWN_TIMEOUT_MS, and closes workers and connections (scope finalizers, last opened first closed).
import { AppConfig } from "@costline/server/config/AppConfig"
import * as Database from "@costline/server/database/Database"
import { EventBus } from "@costline/server/events/EventBus"
import { ProjectEventLog } from "@costline/server/events/ProjectEventLog"
import * as BullMQAdapter from "@costline/server/jobs/BullMQAdapter"
import { JobProcessors } from "@costline/server/jobs/JobProcessors"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { JobRunner } from "@costline/server/jobs/JobRunner"
import { Redis } from "@costline/server/redis/Redis"
import { Duration, Effect, Layer, Ref } from "effect"
import * as HealthServer from "./HealthServer.ts"
import type { WorkerConfig } from "./WorkerConfig.ts"
import { WorkerMetrics } from "./WorkerMetrics.ts"

/** Everything the worker runs on; the database layer applies pending migrations before the worker takes jobs. */
export const workerServices = (config: WorkerConfig) => {
  const database = Database.layerPostgres({ url: config.databaseUrl, maxConnections: config.app.databasePoolSize })
  const redis = Redis.layer.pipe(Layer.provide(Layer.succeed(AppConfig, config.app)))
  const events = ProjectEventLog.layer.pipe(Layer.provide(EventBus.layerRedis))
  return Layer.mergeAll(JobRunner.layer, WorkerMetrics.layer).pipe(
    Layer.provide(Layer.mergeAll(JobRepo.layer, JobProcessors.layer, events)),
    Layer.provideMerge(Layer.mergeAll(database, redis))
  )
}

export const run = (config: WorkerConfig) =>
  Effect.gen(function* () {
    const runner = yield* JobRunner
    const metrics = yield* WorkerMetrics
    const stopping = yield* Ref.make(false)
    yield* Effect.addFinalizer(() => Effect.logInfo("worker stopped"))

    const health = yield* HealthServer.start({
      host: config.healthHost,
      port: config.healthPort,
      healthy: Effect.map(Ref.get(stopping), (value) => !value),
      metrics: metrics.render
    })
    yield* Effect.logInfo(`health server listening on port ${health.port}`).pipe(
      Effect.annotateLogs({ port: health.port })
    )

    const workers = yield* BullMQAdapter.runWorkers((jobId) => metrics.track(runner.run(jobId)), {
      concurrency: config.concurrency,
      shutdownTimeout: Duration.millis(config.app.shutdownTimeoutMs)
    })
    // Registered after the workers, so it runs before they close: /health turns 503 as soon as shutdown begins.
    yield* Effect.addFinalizer(() =>
      Ref.set(stopping, true).pipe(
        Effect.andThen(
          Effect.logInfo(
            `shutting down: no new jobs, waiting up to ${config.app.shutdownTimeoutMs} ms for running ones`
          )
        )
      )
    )
    yield* workers.ready
    yield* Effect.logInfo("worker ready").pipe(
      Effect.annotateLogs({ prefix: config.app.redisPrefix, concurrency: config.concurrency })
    )
    return yield* Effect.never
  }).pipe(Effect.scoped, Effect.provide(workerServices(config)))
