// The job system's guarantees on the production path (BullMQ on real Redis, PostgreSQL): cancel of a queued job
// (taken off the queue, never started) and of a running one (by the pub/sub request, at its next progress report, or
// when its attempt fails after the request), retry through BullMQ, superseded audits leaving the queue, priority order
// within a queue, and a transient database fault cut through a TCP proxy: the delivery waits without using up an
// attempt and completes once the database is back.
import type { JobId } from "@costline/core"
import * as Database from "@costline/server/database/Database"
import * as BullMQJobs from "@costline/server/jobs/BullMQJobs"
import { PermanentJobFailure, RetryableJobFailure } from "@costline/server/jobs/JobFailure"
import type { ProcessorRegistry } from "@costline/server/jobs/JobProcessors"
import { JobQueue } from "@costline/server/jobs/JobQueue"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { livenessForLock } from "@costline/server/jobs/Liveness"
import { Redis } from "@costline/server/redis/Redis"
import { assert, layer } from "@effect/vitest"
import { Deferred, type Duration, Effect, Layer, Redacted, Schedule } from "effect"
import { TestDatabase } from "../../../../test/support/TestDatabase.ts"
import { startTcpProxy } from "../../../../test/support/tcpProxy.ts"
import { bullmqInfrastructure, bullmqWorkers, Events } from "./bullmqFixture.ts"
import { awaitJob, insertProject, journal } from "./jobFixtures.ts"

const Infrastructure = bullmqInfrastructure("guarantees", "100 millis")

interface WorkerOptions {
  /** Whether cancel requests on the pub/sub channel reach the runner (as in the worker process). */
  readonly listen?: boolean
  readonly concurrency?: number
  /** BullMQ's lock duration, and the runner's liveness derived from it as in the worker process. Default 30 s. */
  readonly lockDuration?: Duration.Input
}

/** BullMQ workers on all three queues for the test's duration, with the given processors. */
const workers = (extra: ProcessorRegistry, options: WorkerOptions = {}) => {
  const concurrency = options.concurrency ?? 2
  return bullmqWorkers(extra, {
    backoff: "100 millis",
    concurrency: { high: concurrency, default: concurrency, low: concurrency },
    shutdownTimeout: "2 seconds",
    unrecordedRetryDelay: "200 millis",
    listen: options.listen !== false,
    lockDuration: options.lockDuration,
    runner: { liveness: livenessForLock(options.lockDuration ?? "30 seconds") }
  })
}

const bullState = (jobId: JobId, queue: "high" | "default" | "low") =>
  Effect.gen(function* () {
    const redis = yield* Redis
    const key = `${redis.prefix}:${queue}:${BullMQJobs.bullJobId(jobId)}`
    return yield* Effect.promise(() => redis.client.exists(key))
  })

const steps =
  (count: number, stepMs: number, runs: { count: number }) =>
  (context: Parameters<NonNullable<ProcessorRegistry["export_budget"]>>[0]) =>
    Effect.gen(function* () {
      runs.count += 1
      for (let step = 1; step <= count; step++) {
        yield* context.reportProgress({
          progress: (step - 1) / count,
          message: `step ${step}`,
          step,
          totalSteps: count
        })
        yield* Effect.sleep(stepMs)
      }
      return { steps: count }
    })

layer(Infrastructure, { excludeTestServices: true, timeout: "60 seconds" })("job guarantees (BullMQ)", (it) => {
  it.effect("a queued job cancelled before any worker runs leaves the queue and never starts", () => {
    const runs = { count: 0 }
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const job = yield* queue.enqueue({ type: "export_budget", projectId })
      assert.strictEqual(yield* bullState(job.id, "default"), 1)
      const cancelled = yield* queue.cancel(job.id)
      assert.strictEqual(cancelled.status, "cancelled")
      assert.strictEqual(yield* bullState(job.id, "default"), 0, "removed from BullMQ")
      yield* Effect.sleep("500 millis").pipe(Effect.provide(workers({ export_budget: steps(1, 1, runs) })))
      assert.strictEqual(runs.count, 0)
      assert.strictEqual((yield* awaitJob(job.id, ["cancelled"])).attempts, 0)
      assert.deepStrictEqual(
        (yield* journal(projectId)).map((event) => event.type),
        ["JobCancelled"]
      )
    })
  })

  it.effect("a running job is interrupted by the cancel request at once, even between progress reports", () => {
    const started = Deferred.makeUnsafe<void>()
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const job = yield* queue.enqueue({ type: "export_budget", projectId })
      yield* Deferred.await(started)
      const before = Date.now()
      const requested = yield* queue.cancel(job.id)
      assert.strictEqual(requested.status, "running")
      const ended = yield* awaitJob(job.id, ["cancelled", "completed", "failed"], "5 seconds")
      assert.strictEqual(ended.status, "cancelled")
      assert.isBelow(Date.now() - before, 2000, "not waiting for the 30 s step to end")
      assert.strictEqual((yield* journal(projectId)).at(-1)?.type, "JobCancelled")
    }).pipe(
      Effect.provide(
        workers({
          export_budget: () =>
            Deferred.succeed(started, undefined).pipe(Effect.andThen(Effect.sleep("30 seconds")), Effect.as("late"))
        })
      )
    )
  })

  it.effect("without the pub/sub request, a running job stops at its next progress report", () => {
    const runs = { count: 0 }
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const job = yield* queue.enqueue({ type: "export_budget", projectId })
      yield* awaitJob(job.id, ["running"])
      yield* Effect.sleep("300 millis")
      yield* queue.cancel(job.id)
      const ended = yield* awaitJob(job.id, ["cancelled", "completed", "failed"], "5 seconds")
      assert.strictEqual(ended.status, "cancelled")
      assert.isBelow(ended.step, 20, "stopped well before the last step")
      const events = yield* journal(projectId)
      assert.strictEqual(events.at(-1)?.type, "JobCancelled")
    }).pipe(Effect.provide(workers({ export_budget: steps(20, 200, runs) }, { listen: false })))
  })

  it.effect(
    "a running job whose cancel reaches only its row ends cancelled when the attempt then fails for now",
    () => {
      let runs = 0
      const gate = Deferred.makeUnsafe<void>()
      return Effect.gen(function* () {
        const projectId = yield* insertProject
        const queue = yield* JobQueue
        const job = yield* queue.enqueue({ type: "export_budget", projectId })
        yield* awaitJob(job.id, ["running"])
        // Without the pub/sub request the attempt does not hear of the cancel; it then fails for a reason of its own.
        yield* queue.cancel(job.id)
        yield* Deferred.succeed(gate, undefined)
        const ended = yield* awaitJob(job.id, ["cancelled", "completed", "failed"], "5 seconds")
        assert.strictEqual(ended.status, "cancelled")
        // Longer than the retry backoff (100 ms): BullMQ was told the job is done, so no retry runs.
        yield* Effect.sleep("600 millis")
        assert.strictEqual(runs, 1)
        assert.strictEqual((yield* awaitJob(job.id, ["cancelled"])).status, "cancelled")
        const events = yield* journal(projectId)
        assert.strictEqual(events.at(-1)?.type, "JobCancelled")
      }).pipe(
        Effect.provide(
          workers(
            {
              export_budget: () =>
                Effect.suspend(() => {
                  runs += 1
                  return Deferred.await(gate).pipe(
                    Effect.andThen(Effect.fail(new RetryableJobFailure({ message: "the service did not answer" })))
                  )
                })
            },
            { listen: false }
          )
        )
      )
    }
  )

  // Redis losing a live worker's lock (out of reach for longer than the lock, failed over, flushed): BullMQ hands the
  // job out again while its attempt still runs. The row's heartbeat says that worker is alive, so the new delivery
  // waits and looks again instead of taking the job over and running it a second time.
  it.effect("a job BullMQ hands out again while its attempt runs on a live worker runs once, and completes", () => {
    const started = Deferred.makeUnsafe<void>()
    const runs = { count: 0 }
    return Effect.gen(function* () {
      const redis = yield* Redis
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const job = yield* queue.enqueue({ type: "export_budget", projectId })
      yield* Deferred.await(started)
      const jobKey = `${redis.prefix}:default:${BullMQJobs.bullJobId(job.id)}`
      // The lock goes; BullMQ's stalled check (every lock duration) moves the job back to the wait list. Its guard key,
      // left by the earlier tests' workers with their 30 s lock, goes too, so the check runs on this test's interval.
      // A job needs two checks without its lock to be moved, and a check that comes a little early finds the guard key
      // the one before it set and does nothing: up to three intervals (4.5 s), which the processor outlasts.
      yield* Effect.promise(() => redis.client.del(`${jobKey}:lock`, `${redis.prefix}:default:stalled-check`))
      const completed = yield* awaitJob(job.id, ["completed", "failed", "cancelled"], "20 seconds")
      assert.strictEqual(completed.status, "completed")
      assert.strictEqual(runs.count, 1, "the job ran once")
      assert.strictEqual(completed.attempts, 1, "no second attempt took it over")
      const stalled = yield* Effect.promise(() => redis.client.hget(jobKey, "stc"))
      assert.isAtLeast(Number(stalled), 1, "BullMQ did hand the job out again while it ran")
      // The delivery that waited finds the job finished when it looks again, and BullMQ's copy ends too.
      const finishedOn = yield* Effect.promise(() => redis.client.hget(jobKey, "finishedOn")).pipe(
        Effect.filterOrFail((value) => value !== null),
        Effect.retry(Schedule.spaced("100 millis")),
        Effect.timeout("5 seconds")
      )
      assert.isAbove(Number(finishedOn), 0)
    }).pipe(
      Effect.provide(
        workers(
          {
            export_budget: () =>
              Effect.suspend(() => {
                runs.count += 1
                return Deferred.succeed(started, undefined).pipe(Effect.andThen(Effect.sleep("6 seconds")))
              })
          },
          { lockDuration: "1500 millis" }
        )
      )
    )
  })

  it.effect("a failed job retried through the API runs again on BullMQ and completes", () => {
    let runs = 0
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const job = yield* queue.enqueue({ type: "cleanup", projectId })
      assert.strictEqual((yield* awaitJob(job.id)).status, "failed")
      // BullMQ still holds the failed job under the same id: retry replaces it.
      yield* queue.retry(job.id)
      const done = yield* awaitJob(job.id)
      assert.strictEqual(done.status, "completed")
      assert.deepStrictEqual(done.result, { run: 2 })
      assert.strictEqual(done.attempts, 1)
    }).pipe(
      Effect.provide(
        workers({
          cleanup: () =>
            Effect.suspend(() => {
              runs += 1
              return runs === 1
                ? Effect.fail(new PermanentJobFailure({ message: "corrupt input" }))
                : Effect.succeed({ run: runs })
            })
        })
      )
    )
  })

  // A retry gives the job its whole budget again, in its row and in BullMQ: the attempts of the run before the retry
  // stay in the row's own count (its fence) without using up the new run's.
  it.effect("a job retried after using up its attempts gets all of them again, and no more", () => {
    let runs = 0
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const job = yield* queue.enqueue({ type: "cleanup", projectId, maxAttempts: 2 })
      const first = yield* awaitJob(job.id, ["failed"], "10 seconds")
      assert.deepStrictEqual([first.attempts, first.maxAttempts, runs], [2, 2, 2])
      // Twice: a budget that grew with each retry would show at the second.
      for (const expectedRuns of [4, 6]) {
        yield* queue.retry(job.id)
        const again = yield* awaitJob(job.id, ["failed"], "10 seconds")
        assert.deepStrictEqual([again.attempts, again.maxAttempts, runs], [2, 2, expectedRuns])
        assert.include(again.error!.message, `run ${expectedRuns}`)
      }
    }).pipe(
      Effect.provide(
        workers({
          cleanup: () =>
            Effect.suspend(() => {
              runs += 1
              return Effect.fail(new RetryableJobFailure({ message: `lost the database on run ${runs}` }))
            })
        })
      )
    )
  })

  it.effect("a cancelled running job can be retried once it has stopped", () => {
    const runs = { count: 0 }
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const job = yield* queue.enqueue({ type: "export_budget", projectId })
      yield* awaitJob(job.id, ["running"])
      yield* queue.cancel(job.id)
      yield* awaitJob(job.id, ["cancelled"], "5 seconds")
      yield* queue.retry(job.id)
      const done = yield* awaitJob(job.id, ["completed", "failed"], "10 seconds")
      assert.strictEqual(done.status, "completed")
      assert.strictEqual(runs.count, 2)
    }).pipe(Effect.provide(workers({ export_budget: steps(5, 100, runs) })))
  })

  it.effect("a superseded audit leaves the BullMQ queue; the newer one runs", () => {
    const audited: Array<number> = []
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const v1 = yield* queue.enqueue({ type: "audit_project", projectId, payload: { version: 1 } })
      const v2 = yield* queue.enqueue({ type: "audit_project", projectId, payload: { version: 2 } })
      assert.strictEqual((yield* awaitJob(v1.id, ["cancelled"])).status, "cancelled")
      assert.strictEqual(yield* bullState(v1.id, "high"), 0)
      const done = yield* awaitJob(v2.id).pipe(
        Effect.provide(
          workers({
            audit_project: (context) =>
              Effect.sync(() => audited.push((context.payload as { version: number }).version))
          })
        )
      )
      assert.strictEqual(done.status, "completed")
      assert.deepStrictEqual(audited, [2])
    })
  })

  it.effect("within a queue, BullMQ runs the more urgent priority first", () => {
    const order: Array<string> = []
    return Effect.gen(function* () {
      const queue = yield* JobQueue
      const jobs = yield* queue.enqueueMany([
        { type: "recalculate_budget", projectId: null, payload: { name: "p9" }, priority: 9 },
        { type: "recalculate_budget", projectId: null, payload: { name: "p1" }, priority: 1 },
        { type: "recalculate_budget", projectId: null, payload: { name: "p5" }, priority: 5 }
      ])
      yield* Effect.gen(function* () {
        for (const job of jobs) yield* awaitJob(job.id)
      }).pipe(
        Effect.provide(
          workers(
            {
              recalculate_budget: (context) => Effect.sync(() => order.push((context.payload as { name: string }).name))
            },
            { concurrency: 1 }
          )
        )
      )
      assert.deepStrictEqual(order, ["p1", "p5", "p9"])
    })
  })

  it.effect("a database outage mid-job postpones the delivery without using an attempt; the job then completes", () => {
    const started = Deferred.makeUnsafe<void>()
    const cutDone = Deferred.makeUnsafe<void>()
    let runs = 0
    return Effect.gen(function* () {
      const database = yield* TestDatabase
      const target = new URL(database.url)
      const proxy = yield* Effect.acquireRelease(
        Effect.promise(() => startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })),
        (proxy) => Effect.promise(() => proxy.close())
      )
      const proxied = new URL(database.url)
      proxied.port = String(proxy.port)
      // The workers' database goes through the proxy; the test's own connection does not.
      const workerStack = workers({
        export_budget: () =>
          Effect.suspend(() => {
            runs += 1
            return runs === 1
              ? Deferred.succeed(started, undefined).pipe(
                  Effect.andThen(Deferred.await(cutDone)),
                  Effect.as({ run: 1 })
                )
              : Effect.succeed({ run: runs })
          })
      }).pipe(
        // Fresh: the same layers in the test's own stack are built on the direct connection.
        Layer.provide(Layer.fresh(Layer.mergeAll(JobRepo.layer, Events))),
        Layer.provide(Database.layerPostgres({ url: Redacted.make(proxied.toString()), maxConnections: 4 }))
      )
      const queue = yield* JobQueue
      const job = yield* queue.enqueue({ type: "export_budget", projectId: null })
      const done = yield* Effect.gen(function* () {
        yield* Deferred.await(started)
        proxy.cut()
        yield* Deferred.succeed(cutDone, undefined)
        // Long enough for several postponed deliveries while the database is unreachable.
        yield* Effect.sleep("1500 millis")
        const during = yield* awaitJob(job.id, ["running"])
        assert.strictEqual(during.status, "running", "the row keeps its state while nobody can write it")
        proxy.resume()
        return yield* awaitJob(job.id, ["completed", "failed"], "20 seconds")
      }).pipe(Effect.provide(workerStack))
      assert.strictEqual(done.status, "completed")
      assert.strictEqual(runs, 2, "run again once the database answered (the first run's result was never recorded)")
      const redis = yield* Redis
      const attemptsMade = yield* Effect.promise(() =>
        redis.client.hget(`${redis.prefix}:default:${BullMQJobs.bullJobId(job.id)}`, "atm")
      )
      // BullMQ counts the delivery that finished; the postponed ones (several, see the log) used up none.
      assert.strictEqual(attemptsMade, "1", "postponed deliveries used up no BullMQ attempt")
    })
  })
})
