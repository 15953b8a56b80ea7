// The production path against real PostgreSQL and Redis: JobQueue.layerBullMQ enqueues, BullMQ workers started through
// the adapter run the jobs with JobRunner; retries follow the processors' typed failures.
import type { JobId } from "@costline/core"
import * as BullMQJobs from "@costline/server/jobs/BullMQJobs"
import { PermanentJobFailure, RetryableJobFailure } from "@costline/server/jobs/JobFailure"
import type { ProcessorRegistry } from "@costline/server/jobs/JobProcessors"
import { JobQueue } from "@costline/server/jobs/JobQueue"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { Redis } from "@costline/server/redis/Redis"
import { assert, layer } from "@effect/vitest"
import { Clock, Deferred, type Duration, Effect, Layer, Option } from "effect"
import { bullmqInfrastructure, bullmqWorkers } from "./bullmqFixture.ts"
import { awaitJob, insertPositions, insertProject, journal } from "./jobFixtures.ts"

const Infrastructure = bullmqInfrastructure("bullmq", "200 millis")

/** BullMQ workers on all three queues for the test's duration, running jobs with the given extra processors. */
const workers = (extra: ProcessorRegistry = {}, shutdownTimeout: Duration.Input = "5 seconds") =>
  bullmqWorkers(extra, { backoff: "200 millis", concurrency: { high: 1, default: 2, low: 1 }, shutdownTimeout })

layer(Infrastructure, { excludeTestServices: true, timeout: "60 seconds" })("JobQueue.layerBullMQ", (it) => {
  it.effect("runs recalculate_budget through BullMQ: completed row, events in seq order, only the id in Redis", () =>
    Effect.gen(function* () {
      const projectId = yield* insertProject
      yield* insertPositions(projectId, [
        { key: "a", objectCode: "SO 01", total: "100.05" },
        { key: "b", objectCode: "SO 02", total: "0.95" }
      ])
      const queue = yield* JobQueue
      const jobId = `recalculate:${projectId}:2` as JobId
      const enqueued = yield* queue.enqueue({ type: "recalculate_budget", projectId, jobId, payload: { note: "x" } })
      assert.strictEqual(enqueued.status, "queued")

      const job = yield* awaitJob(jobId)
      assert.strictEqual(job.status, "completed")
      assert.strictEqual(job.attempts, 1)
      assert.strictEqual((job.result as { total: string }).total, "101.00")

      const events = yield* journal(projectId)
      assert.deepStrictEqual(
        events.map((event) => event.seq),
        events.map((_, index) => index + 1)
      )
      assert.deepStrictEqual(
        events.map((event) => event.type),
        ["JobProgress", "JobProgress", "JobProgress", "JobCompleted"]
      )

      // The BullMQ job is a hash under the deployment prefix; its data is the envelope, not the payload.
      const redis = yield* Redis
      const data = yield* Effect.promise(() =>
        redis.client.hget(`${redis.prefix}:default:${BullMQJobs.bullJobId(jobId)}`, "data")
      )
      assert.deepStrictEqual(JSON.parse(data ?? "null"), { jobId })
    }).pipe(Effect.provide(workers()))
  )

  it.effect("a transient failure is retried with exponential backoff and then succeeds", () => {
    const attemptsAt: Array<number> = []
    const flaky: ProcessorRegistry = {
      analytics_refresh: (context) =>
        Effect.gen(function* () {
          attemptsAt.push(yield* Clock.currentTimeMillis)
          if (context.job.attempts < 3) return yield* new RetryableJobFailure({ message: "connection lost" })
          return { attempts: context.job.attempts }
        })
    }
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const job = yield* awaitJob((yield* queue.enqueue({ type: "analytics_refresh", projectId })).id)
      assert.strictEqual(job.status, "completed")
      assert.strictEqual(job.attempts, 3)
      assert.deepStrictEqual(job.result, { attempts: 3 })
      assert.strictEqual(attemptsAt.length, 3)
      // BullMQ's exponential backoff: 200 ms, then 400 ms.
      assert.isAtLeast(attemptsAt[1]! - attemptsAt[0]!, 190)
      assert.isAtLeast(attemptsAt[2]! - attemptsAt[1]!, 390)
      assert.deepStrictEqual(
        (yield* journal(projectId)).map((event) => event.type),
        ["JobProgress", "JobProgress", "JobCompleted"]
      )
    }).pipe(Effect.provide(workers(flaky)))
  })

  it.effect("a permanent failure is not retried", () => {
    let runs = 0
    const broken: ProcessorRegistry = {
      cleanup: () =>
        Effect.suspend(() => {
          runs += 1
          return Effect.fail(new PermanentJobFailure({ message: "unknown cleanup target" }))
        })
    }
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const job = yield* awaitJob((yield* queue.enqueue({ type: "cleanup", projectId, maxAttempts: 5 })).id)
      assert.strictEqual(job.status, "failed")
      assert.deepStrictEqual(job.error, { message: "unknown cleanup target", retryable: false })
      // Well past the first backoff (200 ms): BullMQ would have retried a plain Error by now.
      yield* Effect.sleep("1500 millis")
      assert.strictEqual(runs, 1)
      const after = yield* awaitJob(job.id)
      assert.strictEqual(after.attempts, 1)
      assert.deepStrictEqual(
        (yield* journal(projectId)).map((event) => event.type),
        ["JobFailed"]
      )
    }).pipe(Effect.provide(workers(broken)))
  })

  it.effect("a job enqueued before any worker runs waits in Redis and runs once a worker starts", () =>
    Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const enqueued = yield* queue.enqueue({ type: "audit_project", projectId: null })
      yield* Effect.sleep("300 millis")
      const waiting = yield* awaitJob(enqueued.id, ["queued"])
      assert.strictEqual(waiting.attempts, 0)
      const done = yield* awaitJob(enqueued.id).pipe(
        Effect.provide(workers({ audit_project: () => Effect.succeed({ audited: projectId }) }))
      )
      assert.strictEqual(done.status, "completed")
      assert.deepStrictEqual(done.result, { audited: projectId })
    })
  )

  it.effect("closing the workers waits for a running job to finish", () =>
    Effect.gen(function* () {
      const started = yield* Deferred.make<void>()
      const slow: ProcessorRegistry = {
        export_budget: () =>
          Deferred.succeed(started, undefined).pipe(
            Effect.andThen(Effect.sleep("800 millis")),
            Effect.as({ slow: true })
          )
      }
      const queue = yield* JobQueue
      const repo = yield* JobRepo
      const job = yield* queue.enqueue({ type: "export_budget", projectId: null })
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(workers(slow))
          yield* Deferred.await(started)
        })
      )
      // The scope is closed: the job finished during shutdown instead of being cut off.
      const after = yield* repo.find(job.id).pipe(Effect.orDie)
      assert.strictEqual(Option.getOrThrow(after).status, "completed")
      assert.deepStrictEqual(Option.getOrThrow(after).result, { slow: true })
    })
  )

  it.effect("a job that outlives the shutdown timeout is interrupted, requeued and resumed by the next worker", () =>
    Effect.gen(function* () {
      const started = yield* Deferred.make<void>()
      const stuck: ProcessorRegistry = {
        export_budget: () => Deferred.succeed(started, undefined).pipe(Effect.andThen(Effect.never))
      }
      const queue = yield* JobQueue
      const repo = yield* JobRepo
      const job = yield* queue.enqueue({ type: "export_budget", projectId: null })
      const begin = yield* Clock.currentTimeMillis
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(workers(stuck, "300 millis"))
          yield* Deferred.await(started)
        })
      )
      const elapsed = (yield* Clock.currentTimeMillis) - begin
      assert.isBelow(elapsed, 5000, "shutdown is bounded")
      const released = Option.getOrThrow(yield* repo.find(job.id).pipe(Effect.orDie))
      assert.strictEqual(released.status, "queued")
      assert.strictEqual(released.attempts, 0, "the interrupted attempt does not count")

      // Back in BullMQ's wait list: the next worker runs it without waiting for a lock to expire.
      const resumed = yield* awaitJob(job.id, ["completed", "failed"], "10 seconds").pipe(
        Effect.provide(workers({ export_budget: () => Effect.succeed({ resumed: true }) }))
      )
      assert.strictEqual(resumed.status, "completed")
      assert.strictEqual(resumed.attempts, 1)
      assert.deepStrictEqual(resumed.result, { resumed: true })
    })
  )
})
