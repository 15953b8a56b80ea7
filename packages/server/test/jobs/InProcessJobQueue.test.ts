// The embedded profile's queue against a real PostgreSQL database: recalculate_budget end to end with its journal,
// resuming jobs a previous process left in the database, retries, permanent failures and idempotent enqueueing.
import type { JobId } from "@costline/core"
import { EventBus } from "@costline/server/events/EventBus"
import { ProjectEventLog } from "@costline/server/events/ProjectEventLog"
import { PermanentJobFailure, RetryableJobFailure } from "@costline/server/jobs/JobFailure"
import type { ProcessorRegistry } from "@costline/server/jobs/JobProcessors"
import { JobProcessors } from "@costline/server/jobs/JobProcessors"
import { JobQueue } from "@costline/server/jobs/JobQueue"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { JobRunner } from "@costline/server/jobs/JobRunner"
import { assert, layer } from "@effect/vitest"
import { Clock, Deferred, Effect, Layer, Option } from "effect"
import { TestDatabase } from "../../../../test/support/TestDatabase.ts"
import { awaitJob, insertPositions, insertProject, insertVersion, journal, recordFate } from "./jobFixtures.ts"

const Infrastructure = Layer.mergeAll(
  JobRepo.layer,
  ProjectEventLog.layer.pipe(Layer.provide(EventBus.layerMemory))
).pipe(Layer.provideMerge(TestDatabase.layerMigrated))

const inProcess = (extra: ProcessorRegistry = {}) =>
  JobQueue.layerInProcessWith({ concurrency: 2, backoff: "100 millis" }).pipe(
    Layer.provide(JobRunner.layer),
    Layer.provide(JobProcessors.layerWith(extra))
  )

layer(Infrastructure, { excludeTestServices: true, timeout: "60 seconds" })("JobQueue.layerInProcess", (it) => {
  it.effect("runs recalculate_budget to completion with exact totals, 3 progress steps and journaled events", () =>
    Effect.gen(function* () {
      const projectId = yield* insertProject
      // 0.1 + 0.2 in floats is 0.30000000000000004; the large amount has more digits than a double keeps.
      yield* insertPositions(projectId, [
        { key: "a", objectCode: "SO 01", total: "0.10" },
        { key: "b", objectCode: "SO 01", total: "0.20" },
        { key: "c", objectCode: "SO 02", total: "1234567890123456.78" },
        // Closed revisions are not part of the head.
        { key: "d", objectCode: "SO 02", total: "999.00", validFrom: 1, validTo: 2 }
      ])
      yield* insertVersion(projectId, 2, "1234567890123457.08")

      const queue = yield* JobQueue
      const enqueued = yield* queue.enqueue({ type: "recalculate_budget", projectId })
      assert.strictEqual(enqueued.status, "queued")
      const job = yield* awaitJob(enqueued.id)

      assert.strictEqual(job.status, "completed")
      assert.strictEqual(job.attempts, 1)
      assert.strictEqual(job.progress, 1)
      assert.strictEqual(job.step, 3)
      assert.strictEqual(job.totalSteps, 3)
      assert.isNull(job.error)
      assert.isNotNull(job.startedAt)
      assert.isNotNull(job.finishedAt)
      assert.deepStrictEqual(job.result, {
        version: 2,
        positionCount: 3,
        total: "1234567890123457.08",
        objects: [
          { objectCode: "SO 01", positionCount: 2, total: "0.30" },
          { objectCode: "SO 02", positionCount: 1, total: "1234567890123456.78" }
        ],
        storedTotal: "1234567890123457.08",
        matches: true,
        // Every total is quantity × unit price already: nothing to re-price, no new version.
        repriced: 0,
        newVersion: null,
        newTotal: null
      })

      const events = yield* journal(projectId)
      assert.deepStrictEqual(
        events.map((event) => event.seq),
        events.map((_, index) => index + 1),
        "seq is gap-free from 1"
      )
      const progress = events.filter((event) => event.type === "JobProgress")
      assert.isAtLeast(progress.length, 3)
      assert.deepStrictEqual(
        progress.map((event) => event.payload.step),
        [1, 2, 3]
      )
      assert.deepStrictEqual(
        progress.map((event) => event.payload.message),
        ["loading positions", "recomputing totals of 3 positions", "comparing with the stored version total"]
      )
      const last = events.at(-1)!
      assert.strictEqual(last.type, "JobCompleted")
      const completed = last.payload.job as { id: string; status: string; result: unknown }
      assert.strictEqual(completed.id, job.id)
      assert.strictEqual(completed.status, "completed")
      assert.deepStrictEqual(completed.result, job.result)
    }).pipe(Effect.provide(inProcess()))
  )

  it.effect("an empty budget totals 0.00", () =>
    Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const job = yield* awaitJob((yield* queue.enqueue({ type: "recalculate_budget", projectId })).id)
      assert.strictEqual(job.status, "completed")
      assert.deepStrictEqual(job.result, {
        version: 2,
        positionCount: 0,
        total: "0.00",
        objects: [],
        storedTotal: null,
        matches: true,
        repriced: 0,
        newVersion: null,
        newTotal: null
      })
    }).pipe(Effect.provide(inProcess()))
  )

  it.effect("resumes jobs left queued or running in the database when the queue starts", () =>
    Effect.gen(function* () {
      const projectId = yield* insertProject
      yield* insertPositions(projectId, [{ key: "a", objectCode: "SO 01", total: "10.50" }])
      const repo = yield* JobRepo
      const base = {
        projectId,
        type: "recalculate_budget" as const,
        queue: "default" as const,
        priority: 0,
        payload: {},
        createdBy: null,
        maxAttempts: 3
      }
      // What a stopped process leaves behind: one job never started, one cut off while running.
      yield* repo.create({ ...base, id: `resume-queued-${projectId}` as JobId }).pipe(Effect.orDie)
      const running = `resume-running-${projectId}` as JobId
      yield* repo.create({ ...base, id: running }).pipe(Effect.orDie)
      yield* repo.markRunning(running).pipe(Effect.orDie)

      const jobs = yield* Effect.gen(function* () {
        // Building the queue is what resumes them: nothing is enqueued here.
        yield* JobQueue
        return [yield* awaitJob(`resume-queued-${projectId}` as JobId), yield* awaitJob(running)]
      }).pipe(Effect.provide(inProcess()))

      for (const job of jobs) {
        assert.strictEqual(job.status, "completed")
        assert.strictEqual((job.result as { total: string }).total, "10.50")
      }
      assert.strictEqual(jobs[0]!.attempts, 1)
      assert.strictEqual(jobs[1]!.attempts, 2, "the cut-off attempt counts")
    })
  )

  it.effect("a transient failure is retried with backoff and then succeeds", () => {
    const attemptsAt: Array<number> = []
    const flaky: ProcessorRegistry = {
      analytics_refresh: (context) =>
        Effect.gen(function* () {
          attemptsAt.push(yield* Clock.currentTimeMillis)
          if (context.job.attempts < 3) {
            return yield* new RetryableJobFailure({ message: "connection lost" })
          }
          return { ok: true }
        })
    }
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const job = yield* awaitJob((yield* queue.enqueue({ type: "analytics_refresh", projectId })).id)
      assert.strictEqual(job.status, "completed")
      assert.strictEqual(job.attempts, 3)
      assert.deepStrictEqual(job.result, { ok: true })
      assert.isNull(job.error)
      assert.strictEqual(attemptsAt.length, 3)
      // Backoff 100 ms, then 200 ms.
      assert.isAtLeast(attemptsAt[1]! - attemptsAt[0]!, 90)
      assert.isAtLeast(attemptsAt[2]! - attemptsAt[1]!, 190)

      const types = (yield* journal(projectId)).map((event) => event.type)
      assert.deepStrictEqual(types, ["JobProgress", "JobProgress", "JobCompleted"])
    }).pipe(Effect.provide(inProcess(flaky)))
  })

  it.effect("a permanent failure fails at once; an exhausted transient failure fails after maxAttempts", () => {
    let permanentRuns = 0
    const processors: ProcessorRegistry = {
      cleanup: () =>
        Effect.suspend(() => {
          permanentRuns += 1
          return Effect.fail(new PermanentJobFailure({ message: "the payload names no table" }))
        }),
      enrich_positions: () => Effect.fail(new RetryableJobFailure({ message: "catalogue service unavailable" }))
    }
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const permanent = yield* awaitJob((yield* queue.enqueue({ type: "cleanup", projectId })).id)
      assert.strictEqual(permanent.status, "failed")
      assert.strictEqual(permanent.attempts, 1)
      assert.deepStrictEqual(permanent.error, { message: "the payload names no table", retryable: false })

      const exhausted = yield* awaitJob(
        (yield* queue.enqueue({ type: "enrich_positions", projectId: null, maxAttempts: 2 })).id
      )
      assert.strictEqual(exhausted.status, "failed")
      assert.strictEqual(exhausted.attempts, 2)
      assert.deepStrictEqual(exhausted.error, { message: "catalogue service unavailable", retryable: true })

      yield* Effect.sleep("300 millis")
      assert.strictEqual(permanentRuns, 1, "not retried")
      const events = yield* journal(projectId)
      assert.deepStrictEqual(
        events.map((event) => event.type),
        ["JobFailed"]
      )
      assert.strictEqual((events[0]!.payload.job as { status: string }).status, "failed")
    }).pipe(Effect.provide(inProcess(processors)))
  })

  it.effect("a job type without a processor fails permanently with a clear message", () =>
    Effect.gen(function* () {
      const queue = yield* JobQueue
      const job = yield* awaitJob((yield* queue.enqueue({ type: "parse_document", projectId: null })).id)
      assert.strictEqual(job.status, "failed")
      assert.strictEqual(job.attempts, 1)
      assert.isFalse(job.error!.retryable)
      assert.include(job.error!.message, 'no processor is registered for job type "parse_document"')
    }).pipe(Effect.provide(inProcess()))
  )

  it.effect("enqueueing an existing job id returns the existing job and runs it once", () => {
    let runs = 0
    const counting: ProcessorRegistry = {
      export_budget: () => Effect.sync(() => ++runs)
    }
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const jobId = `export:${projectId}:1` as JobId
      const first = yield* queue.enqueue({ type: "export_budget", projectId, jobId, payload: { format: "csv" } })
      const done = yield* awaitJob(jobId)
      const again = yield* queue.enqueue({ type: "export_budget", projectId, jobId, payload: { format: "xlsx" } })
      assert.strictEqual(first.id, jobId)
      assert.strictEqual(again.status, "completed")
      assert.strictEqual(again.createdAt, done.createdAt)
      yield* Effect.sleep("200 millis")
      assert.strictEqual(runs, 1)
      const record = yield* (yield* JobRepo).findRecord(jobId).pipe(Effect.orDie)
      assert.deepStrictEqual(
        Option.map(record, (r) => r.payload),
        Option.some({ format: "csv" })
      )
    }).pipe(Effect.provide(inProcess(counting)))
  })

  it.effect("lists a project's jobs newest first", () =>
    Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const a = yield* queue.enqueue({ type: "recalculate_budget", projectId })
      yield* awaitJob(a.id)
      const b = yield* queue.enqueue({ type: "recalculate_budget", projectId })
      yield* awaitJob(b.id)
      const listed = yield* (yield* JobRepo).listByProject(projectId).pipe(Effect.orDie)
      assert.deepStrictEqual(
        listed.map((job) => job.id),
        [b.id, a.id]
      )
    }).pipe(Effect.provide(inProcess()))
  )

  it.effect("a job cut off by stopping the queue is released to queued and resumed by the next start", () =>
    Effect.gen(function* () {
      const started = yield* Deferred.make<void>()
      // What the cut-off attempt was told would become of its job (JobContext.fateOf).
      const told: Array<string> = []
      const stuck: ProcessorRegistry = {
        export_budget: (context) =>
          Deferred.succeed(started, undefined).pipe(Effect.andThen(Effect.never), recordFate(told, context))
      }
      const repo = yield* JobRepo
      const job = yield* Effect.gen(function* () {
        const queue = yield* JobQueue
        // Its only attempt: a shutdown still does not end it.
        const job = yield* queue.enqueue({ type: "export_budget", projectId: null, maxAttempts: 1 })
        yield* Deferred.await(started)
        return job
      }).pipe(Effect.provide(inProcess(stuck)))

      const released = Option.getOrThrow(yield* repo.find(job.id).pipe(Effect.orDie))
      assert.strictEqual(released.status, "queued")
      assert.strictEqual(released.attempts, 0)
      assert.deepStrictEqual(told, ["queued-again"])

      const resumed = yield* Effect.andThen(JobQueue, awaitJob(job.id)).pipe(
        Effect.provide(inProcess({ export_budget: () => Effect.succeed("resumed") }))
      )
      assert.strictEqual(resumed.status, "completed")
      assert.strictEqual(resumed.attempts, 1)
      assert.strictEqual(resumed.result, "resumed")
    })
  )

  it.effect("a job cut off by stopping the queue after its cancel was asked for ends cancelled, not queued", () =>
    Effect.gen(function* () {
      const started = yield* Deferred.make<void>()
      const stuck: ProcessorRegistry = {
        export_budget: () => Deferred.succeed(started, undefined).pipe(Effect.andThen(Effect.never))
      }
      const projectId = yield* insertProject
      const repo = yield* JobRepo
      const job = yield* Effect.gen(function* () {
        const queue = yield* JobQueue
        const job = yield* queue.enqueue({ type: "export_budget", projectId })
        yield* Deferred.await(started)
        // The request reaches the row (as from another server) but not this attempt, which the stop then cuts off.
        yield* Effect.orDie(repo.requestCancel(job.id))
        return job
      }).pipe(Effect.provide(inProcess(stuck)))

      const ended = Option.getOrThrow(yield* repo.find(job.id).pipe(Effect.orDie))
      assert.strictEqual(ended.status, "cancelled")
      assert.isNotNull(ended.finishedAt)
      assert.strictEqual((yield* journal(projectId)).at(-1)!.type, "JobCancelled")
    })
  )
})
