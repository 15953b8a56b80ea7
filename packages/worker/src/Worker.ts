// The worker process as one Effect: PostgreSQL, Redis, a client of the servers' actor cluster, the job runner with
// every processor, BullMQ workers on the three queues and the health server. Runs until interrupted, then stops taking
// jobs, lets the running ones finish for SHUTDOWN_TIMEOUT_MS, and closes workers and connections (scope finalizers,
// last opened first closed).
// Also listens for cancel requests, and now and then re-hands jobs whose hand-off to BullMQ was lost.
import * as ActorCluster from "@costline/server/actors/ActorCluster"
import { AppConfig } from "@costline/server/config/AppConfig"
import * as Database from "@costline/server/database/Database"
import { EventBus } from "@costline/server/events/EventBus"
import { ProjectEventLog } from "@costline/server/events/ProjectEventLog"
import type { Producer } from "@costline/server/jobs/BullMQProducer"
import * as BullMQWorkers from "@costline/server/jobs/BullMQWorkers"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { JobRunner } from "@costline/server/jobs/JobRunner"
import { livenessForLock } from "@costline/server/jobs/Liveness"
import * as PipelineLayers from "@costline/server/jobs/processors/PipelineLayers"
import { Redis } from "@costline/server/redis/Redis"
import { Duration, Effect, Layer, Ref, Schedule } from "effect"
import * as HealthServer from "./HealthServer.ts"
import type { WorkerConfig } from "./WorkerConfig.ts"
import { WorkerMetrics } from "./WorkerMetrics.ts"

const SWEEP_BATCH = 1000

/** Everything the worker runs on; the database layer applies pending migrations before the worker takes jobs. */
export const workerServices = (config: WorkerConfig) => {
  const database = Database.layerPostgres({ url: config.databaseUrl, maxConnections: config.app.databasePoolSize })
  const appConfig = Layer.succeed(AppConfig, config.app)
  const redis = Redis.layer.pipe(Layer.provide(appConfig))
  const events = ProjectEventLog.layer.pipe(Layer.provide(EventBus.layerRedis))
  // Every processor (with COSTLINE_TEST_PROCESSORS=1 also the test behaviours), follow-ups and recurring jobs; versions
  // are written by the projects' actors, which live on the servers: the worker is a cluster client, not a runner.
  const processors = PipelineLayers.workerProcessors({ actorTimeout: config.actorTimeoutMs }).pipe(
    Layer.provide(ActorCluster.layerClient(config.app))
  )
  return Layer.mergeAll(
    JobRunner.layerWith({ timeouts: config.jobTimeouts, liveness: livenessForLock(Duration.millis(config.lockMs)) }),
    WorkerMetrics.layer
  ).pipe(
    Layer.provide(processors),
    Layer.provideMerge(Layer.mergeAll(JobRepo.layer, events)),
    Layer.provideMerge(Layer.mergeAll(database, redis, appConfig))
  )
}

/** Re-hands unfinished jobs nobody touched for `afterMs`; BullMQ ignores the ones it still holds. */
const sweep = (producer: Producer, afterMs: number) =>
  Effect.gen(function* () {
    const repo = yield* JobRepo
    const stale = yield* repo.listStale(afterMs, SWEEP_BATCH)
    if (stale.length > 0) yield* producer.addMany(stale)
    return stale.length
  }).pipe(Effect.catch((error) => Effect.logWarning("job sweep failed", error).pipe(Effect.as(0))))

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

    const workers = yield* BullMQWorkers.runWorkers((jobId, delivery) => metrics.track(runner.run(jobId, delivery)), {
      concurrency: config.concurrency,
      shutdownTimeout: Duration.millis(config.app.shutdownTimeoutMs),
      lockDuration: Duration.millis(config.lockMs),
      onCancel: (jobId) =>
        runner
          .cancel(jobId)
          .pipe(
            Effect.tap((found) =>
              found
                ? Effect.logInfo("cancel request received; stopping the job").pipe(Effect.annotateLogs({ jobId }))
                : Effect.void
            )
          )
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
    if (config.sweepMs > 0) {
      yield* sweep(workers.producer, config.sweepAfterMs).pipe(
        Effect.tap((count) =>
          count > 0 ? Effect.logInfo(`re-handed ${count} unfinished jobs to BullMQ`) : Effect.void
        ),
        Effect.repeat(Schedule.spaced(Duration.millis(config.sweepMs))),
        Effect.forkScoped
      )
    }
    yield* Effect.logInfo("worker ready").pipe(
      Effect.annotateLogs({ prefix: config.app.redisPrefix, concurrency: config.concurrency, lockMs: config.lockMs })
    )
    return yield* Effect.never
  }).pipe(Effect.scoped, Effect.provide(workerServices(config)))
