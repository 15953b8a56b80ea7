// The job system's guarantees on the embedded profile's queue against real PostgreSQL: cancel (queued: never starts;
// running: interrupted at its next step, nothing half-written), retry of failed and cancelled jobs, superseded audits,
// priority order, time limits, throttled progress with an ETA, fencing against a second attempt, batched enqueueing,
// and what the runner tells a processor of its job's fate when an attempt stops.
import type { JobId } from "@costline/core"
import { EventBus } from "@costline/server/events/EventBus"
import { ProjectEventLog } from "@costline/server/events/ProjectEventLog"
import { PermanentJobFailure, RetryableJobFailure } from "@costline/server/jobs/JobFailure"
import type { ProcessorRegistry } from "@costline/server/jobs/JobProcessors"
import { JobProcessors } from "@costline/server/jobs/JobProcessors"
import { estimateEta } from "@costline/server/jobs/JobProgressReporter"
import { JobQueue } from "@costline/server/jobs/JobQueue"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { JobRunner, type JobRunnerOptions } from "@costline/server/jobs/JobRunner"
import { assert, describe, layer, it as plainIt } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { TestDatabase } from "../../../../test/support/TestDatabase.ts"
import { awaitJob, createJob, insertProject, journal, recordFate } from "./jobFixtures.ts"

const Infrastructure = Layer.mergeAll(
  JobRepo.layer,
  ProjectEventLog.layer.pipe(Layer.provide(EventBus.layerMemory))
).pipe(Layer.provideMerge(TestDatabase.layerMigrated))

const inProcess = (extra: ProcessorRegistry, options: { concurrency?: number; runner?: JobRunnerOptions } = {}) =>
  JobQueue.layerInProcessWith({ concurrency: options.concurrency ?? 2, backoff: "50 millis" }).pipe(
    Layer.provideMerge(JobRunner.layerWith(options.runner ?? {})),
    Layer.provide(JobProcessors.layerWith(extra))
  )

/** A runner on its own, without a queue, with these processors: for tests that run attempts by hand. */
const runnerWith = (processors: ProcessorRegistry, options: JobRunnerOptions = {}) =>
  JobRunner.layerWith(options).pipe(Layer.provide(JobProcessors.layerWith(processors)))

/** Liveness on short beats, so that a quiet row and a take-over show within a test. */
const shortLiveness: JobRunnerOptions = { liveness: { heartbeat: "100 millis", takeOverAfter: "300 millis" } }

/** A processor that waits for `gate` before finishing; counts its runs. */
const gated = (gate: Deferred.Deferred<void>, runs: { count: number }) => () =>
  Effect.suspend(() => {
    runs.count += 1
    return Deferred.await(gate).pipe(Effect.as({ gated: true }))
  })

/** A processor that says it started, then waits for `release` before answering `result`. */
const held = (started: Deferred.Deferred<void>, release: Deferred.Deferred<void>, result: string) => () =>
  Deferred.succeed(started, undefined).pipe(Effect.andThen(Deferred.await(release)), Effect.as(result))

const writesTable = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS test_writes (job text NOT NULL, step int NOT NULL, part int NOT NULL)`
}).pipe(Effect.orDie)

layer(Infrastructure, { excludeTestServices: true, timeout: "60 seconds" })("job guarantees (in-process)", (it) => {
  it.effect("a cancelled queued job never starts and ends cancelled with a JobCancelled event", () => {
    const gate = Deferred.makeUnsafe<void>()
    const blockerRuns = { count: 0 }
    let cancelledRuns = 0
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      // Concurrency 1 and a blocker: the second job waits in the queue.
      const blocker = yield* queue.enqueue({ type: "export_budget", projectId })
      yield* awaitJob(blocker.id, ["running"])
      const waiting = yield* queue.enqueue({ type: "cleanup", projectId })
      const cancelled = yield* queue.cancel(waiting.id)
      assert.strictEqual(cancelled.status, "cancelled")
      assert.isNotNull(cancelled.finishedAt)
      yield* Deferred.succeed(gate, undefined)
      yield* awaitJob(blocker.id)
      yield* Effect.sleep("200 millis")
      assert.strictEqual(cancelledRuns, 0, "the cancelled job never ran")
      const after = yield* awaitJob(waiting.id, ["cancelled"])
      assert.strictEqual(after.attempts, 0)
      const types = (yield* journal(projectId)).map((event) => event.type)
      assert.include(types, "JobCancelled")
      // Cancelling again is a no-op; cancelling a completed job is refused.
      assert.strictEqual((yield* queue.cancel(waiting.id)).status, "cancelled")
      const refused = yield* Effect.flip(queue.cancel(blocker.id))
      assert.strictEqual(refused._tag, "JobStateConflict")
      const missing = yield* Effect.flip(queue.cancel("no-such-job" as JobId))
      assert.strictEqual(missing._tag, "JobNotFound")
    }).pipe(
      Effect.provide(
        inProcess(
          {
            export_budget: gated(gate, blockerRuns),
            cleanup: () => Effect.sync(() => ++cancelledRuns)
          },
          { concurrency: 1 }
        )
      )
    )
  })

  it.effect("a running job is interrupted at once, its open transaction rolls back, and it ends cancelled", () => {
    const inStep = Deferred.makeUnsafe<number>()
    const processors = (sql: SqlClient.SqlClient): ProcessorRegistry => ({
      export_budget: (context) =>
        Effect.gen(function* () {
          for (let step = 1; step <= 5; step++) {
            yield* context.reportProgress({ progress: (step - 1) / 5, message: `step ${step}`, step, totalSteps: 5 })
            // Each step writes two rows in one transaction; the pause in between is where the cancel lands.
            yield* sql
              .withTransaction(
                Effect.gen(function* () {
                  yield* sql`INSERT INTO test_writes (job, step, part) VALUES (${context.job.id}, ${step}, 1)`
                  if (step === 3) yield* Deferred.succeed(inStep, step)
                  yield* Effect.sleep(step === 3 ? "10 seconds" : "10 millis")
                  yield* sql`INSERT INTO test_writes (job, step, part) VALUES (${context.job.id}, ${step}, 2)`
                })
              )
              .pipe(Effect.orDie)
          }
          return { steps: 5 }
        })
    })
    return Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* writesTable
      const projectId = yield* insertProject
      yield* Effect.gen(function* () {
        const queue = yield* JobQueue
        const job = yield* queue.enqueue({ type: "export_budget", projectId })
        assert.strictEqual(yield* Deferred.await(inStep), 3)
        const requested = yield* queue.cancel(job.id)
        assert.strictEqual(requested.status, "running", "a running job is asked to stop, not yet stopped")
        const ended = yield* awaitJob(job.id, ["cancelled", "completed", "failed"], "5 seconds")
        assert.strictEqual(ended.status, "cancelled")
        const rows = yield* sql<{ step: number; part: number }>`
          SELECT step, part FROM test_writes WHERE job = ${job.id} ORDER BY step, part`.pipe(Effect.orDie)
        assert.deepStrictEqual(
          rows.map((row) => [row.step, row.part]),
          [
            [1, 1],
            [1, 2],
            [2, 1],
            [2, 2]
          ],
          "steps 1 and 2 committed whole; step 3 left nothing"
        )
        const events = yield* journal(projectId)
        const last = events.at(-1)!
        assert.strictEqual(last.type, "JobCancelled")
        assert.strictEqual((last.payload.job as { status: string }).status, "cancelled")
      }).pipe(Effect.provide(inProcess(processors(sql))))
    })
  })

  it.effect("retry re-runs a failed or cancelled job from a clean slate; other states answer a conflict", () => {
    let runs = 0
    const processors: ProcessorRegistry = {
      cleanup: () =>
        Effect.suspend(() => {
          runs += 1
          return runs === 1
            ? Effect.fail(new PermanentJobFailure({ message: "bad input the first time" }))
            : Effect.succeed({ run: runs })
        })
    }
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const job = yield* queue.enqueue({ type: "cleanup", projectId })
      const failed = yield* awaitJob(job.id)
      assert.strictEqual(failed.status, "failed")
      assert.deepStrictEqual(failed.error, { message: "bad input the first time", retryable: false })

      const requeued = yield* queue.retry(job.id)
      assert.strictEqual(requeued.status, "queued")
      assert.strictEqual(requeued.attempts, 0)
      assert.isNull(requeued.error)
      const done = yield* awaitJob(job.id)
      assert.strictEqual(done.status, "completed")
      assert.deepStrictEqual(done.result, { run: 2 })
      assert.strictEqual(done.attempts, 1)

      const conflict = yield* Effect.flip(queue.retry(job.id))
      assert.strictEqual(conflict._tag, "JobStateConflict")
      assert.include(conflict.message, "completed")
      assert.strictEqual((yield* Effect.flip(queue.retry("missing" as JobId)))._tag, "JobNotFound")
    }).pipe(Effect.provide(inProcess(processors)))
  })

  it.effect("an audit queued for version N is cancelled when the audit of version N+1 is queued", () => {
    const gate = Deferred.makeUnsafe<void>()
    const audited: Array<unknown> = []
    const processors: ProcessorRegistry = {
      export_budget: gated(gate, { count: 0 }),
      audit_project: (context) => Effect.sync(() => audited.push(context.payload))
    }
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const other = yield* insertProject
      const queue = yield* JobQueue
      const blocker = yield* queue.enqueue({ type: "export_budget", projectId })
      yield* awaitJob(blocker.id, ["running"])
      const v1 = yield* queue.enqueue({
        type: "audit_project",
        projectId,
        jobId: `audit:${projectId}:1` as JobId,
        payload: { version: 1 }
      })
      const elsewhere = yield* queue.enqueue({ type: "audit_project", projectId: other, payload: { version: 1 } })
      const v2 = yield* queue.enqueue({
        type: "audit_project",
        projectId,
        jobId: `audit:${projectId}:2` as JobId,
        payload: { version: 2 }
      })
      const superseded = yield* awaitJob(v1.id, ["cancelled"], "2 seconds")
      assert.include(superseded.message, "superseded by the audit of version 2")
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual((yield* awaitJob(v2.id)).status, "completed")
      assert.strictEqual((yield* awaitJob(elsewhere.id)).status, "completed", "another project's audit stays")
      assert.deepStrictEqual(audited.filter((payload) => (payload as { version: number }).version === 1).length, 1)
      assert.strictEqual(audited.length, 2)
      assert.include(
        (yield* journal(projectId)).map((event) => event.type),
        "JobCancelled"
      )
    }).pipe(Effect.provide(inProcess(processors, { concurrency: 1 })))
  })

  it.effect("runs high before default before low, and by priority within a queue", () => {
    const gate = Deferred.makeUnsafe<void>()
    const order: Array<string> = []
    const record = (context: { payload: unknown }) =>
      Effect.sync(() => order.push((context.payload as { name: string }).name))
    return Effect.gen(function* () {
      const queue = yield* JobQueue
      const blocker = yield* queue.enqueue({ type: "export_budget", projectId: null })
      yield* awaitJob(blocker.id, ["running"])
      const enqueued = yield* queue.enqueueMany([
        { type: "cleanup", projectId: null, payload: { name: "low" } },
        { type: "recalculate_budget", projectId: null, payload: { name: "default-p5" }, priority: 5 },
        { type: "recalculate_budget", projectId: null, payload: { name: "default-p1" }, priority: 1 },
        { type: "audit_project", projectId: null, payload: { name: "high" } },
        { type: "recalculate_budget", projectId: null, payload: { name: "default-p0" } }
      ])
      yield* Deferred.succeed(gate, undefined)
      for (const job of enqueued) yield* awaitJob(job.id)
      assert.deepStrictEqual(order, ["high", "default-p0", "default-p1", "default-p5", "low"])
    }).pipe(
      Effect.provide(
        inProcess(
          {
            export_budget: gated(gate, { count: 0 }),
            cleanup: record,
            recalculate_budget: record,
            audit_project: record
          },
          { concurrency: 1 }
        )
      )
    )
  })

  it.effect("a processor is told what becomes of its job: queued again while attempts are left, then failed", () => {
    const told: Array<string> = []
    return Effect.gen(function* () {
      const queue = yield* JobQueue
      const job = yield* queue.enqueue({ type: "export_budget", projectId: null, maxAttempts: 3 })
      const failed = yield* awaitJob(job.id, ["failed", "completed"], "10 seconds")
      assert.strictEqual(failed.status, "failed")
      assert.strictEqual(failed.attempts, 3)
      assert.deepStrictEqual(told, ["queued-again", "queued-again", "failed"])
    }).pipe(
      Effect.provide(
        inProcess({
          export_budget: (context) =>
            Effect.fail(new RetryableJobFailure({ message: "the service did not answer" })).pipe(
              recordFate(told, context)
            )
        })
      )
    )
  })

  it.effect("a job whose cancel was asked for while it ran ends cancelled when the attempt then fails for now", () => {
    let runs = 0
    // The cancel reaches the row (as from another server) but not this attempt, which then fails for now.
    const cancelThenFail = (repo: JobRepo["Service"]): ProcessorRegistry => ({
      export_budget: (context) =>
        Effect.gen(function* () {
          runs += 1
          yield* Effect.orDie(repo.requestCancel(context.job.id))
          return yield* new RetryableJobFailure({ message: "the service did not answer" })
        })
    })
    return Effect.gen(function* () {
      const projectId = yield* insertProject
      const repo = yield* JobRepo
      yield* Effect.gen(function* () {
        const queue = yield* JobQueue
        const job = yield* queue.enqueue({ type: "export_budget", projectId, maxAttempts: 3 })
        const ended = yield* awaitJob(job.id, ["cancelled", "completed", "failed"], "10 seconds")
        assert.strictEqual(ended.status, "cancelled")
        assert.strictEqual(runs, 1, "the retry never starts")
        const events = yield* journal(projectId)
        assert.strictEqual(events.at(-1)!.type, "JobCancelled")
        assert.isFalse(
          events.some((event) => String(event.payload.message ?? "").includes("retrying")),
          "no retry is announced: the failed attempt's end is the cancel"
        )
      }).pipe(Effect.provide(inProcess(cancelThenFail(repo))))
    })
  })

  it.effect("a job over its time limit is retried once, then fails for good with a clear message", () => {
    let runs = 0
    // What each stopped attempt was told would become of its job (JobContext.fateOf).
    const told: Array<string> = []
    return Effect.gen(function* () {
      const queue = yield* JobQueue
      const job = yield* queue.enqueue({ type: "export_budget", projectId: null, maxAttempts: 5 })
      const failed = yield* awaitJob(job.id, ["failed", "completed"], "10 seconds")
      assert.strictEqual(failed.status, "failed")
      assert.strictEqual(failed.attempts, 2, "one retry after the first timeout, none after the second")
      assert.strictEqual(runs, 2)
      assert.deepStrictEqual(told, ["queued-again", "failed"], "the second timeout is final, with attempts left")
      assert.isFalse(failed.error!.retryable)
      assert.include(failed.error!.message, "ran longer than its limit of 300ms")
      assert.include(failed.error!.message, "JOB_TIMEOUT_EXPORT_BUDGET")
    }).pipe(
      Effect.provide(
        inProcess(
          {
            export_budget: (context) =>
              Effect.suspend(() => {
                runs += 1
                return Effect.never
              }).pipe(recordFate(told, context))
          },
          { runner: { timeouts: { export_budget: "300 millis" } } }
        )
      )
    )
  })

  it.effect("progress reaches the journal at most 10 times a second, the last report always, with an ETA", () =>
    Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const job = yield* queue.enqueue({ type: "analytics_refresh", projectId })
      const done = yield* awaitJob(job.id, ["completed", "failed"], "10 seconds")
      assert.strictEqual(done.status, "completed")
      const progress = (yield* journal(projectId)).filter((event) => event.type === "JobProgress")
      // 300 reports over ~2 s: about 10 per second get through, never more than 10 in any one-second window.
      assert.isAtLeast(progress.length, 12)
      const sql = yield* SqlClient.SqlClient
      const stamps = (yield* sql<{ at: Date }>`
        SELECT created_at AS at FROM project_events WHERE project_id = ${projectId} AND type = 'JobProgress'
        ORDER BY seq`.pipe(Effect.orDie)).map((row) => new Date(row.at).getTime())
      for (let i = 10; i < stamps.length; i++) {
        assert.isAtLeast(stamps[i]! - stamps[i - 10]!, 990, `events ${i - 10}..${i} within one second`)
      }
      const last = progress.at(-1)!.payload
      assert.strictEqual(last.message, "report 300")
      assert.strictEqual(last.step, 300)
      const etas = progress.map((event) => event.payload.eta)
      assert.isTrue(etas.every((eta) => eta === null || typeof eta === "number"))
      const estimates = etas.filter((eta): eta is number => typeof eta === "number")
      assert.isAtLeast(estimates.length, progress.length / 2, `ETA from the progress rate: ${JSON.stringify(etas)}`)
      assert.isTrue(estimates.every((eta) => eta >= 0 && eta < 60))
      assert.strictEqual(etas.at(-1), 0, "done: nothing left")
      // How the estimate shrinks is checked on estimateEta itself (below): here it rests on a busy machine's clock.
    }).pipe(
      Effect.provide(
        inProcess({
          analytics_refresh: (context) =>
            Effect.gen(function* () {
              for (let i = 1; i <= 300; i++) {
                yield* context.reportProgress({ progress: i / 300, message: `report ${i}`, step: i, totalSteps: 300 })
                yield* Effect.sleep("5 millis")
              }
              return { reports: 300 }
            })
        })
      )
    )
  )

  it.effect("an attempt whose job another attempt took over writes nothing more (fencing)", () => {
    const started = Deferred.makeUnsafe<void>()
    const release = Deferred.makeUnsafe<void>()
    return Effect.gen(function* () {
      const repo = yield* JobRepo
      const runner = yield* JobRunner
      const record = yield* createJob("fenced")
      const first = yield* Effect.forkChild(runner.run(record.job.id))
      yield* Deferred.await(started)
      // Another worker takes the job over (what a lost lock leads to): the row now belongs to attempt 2.
      const second = yield* repo.markRunning(record.job.id).pipe(Effect.orDie)
      assert.strictEqual(Option.getOrThrow(second).job.attempts, 2)
      yield* Deferred.succeed(release, undefined)
      const outcome = yield* Fiber.join(first)
      assert.strictEqual(outcome._tag, "Skipped")
      const row = Option.getOrThrow(yield* repo.find(record.job.id).pipe(Effect.orDie))
      assert.strictEqual(row.status, "running", "the first attempt did not complete the job it no longer owns")
      assert.strictEqual(row.attempts, 2)
    }).pipe(
      Effect.provide(
        runnerWith({
          export_budget: held(started, release, "first")
        })
      )
    )
  })

  // What a stopped attempt hears of a job it lost depends on who has it now: another attempt decides its end itself
  // ("lost"); a job another worker ended on this attempt's behalf (notStarted) ends as that worker recorded it.
  const lostTo: ReadonlyArray<{
    readonly by: string
    readonly fate: string
    readonly status: string
    readonly take: (repo: JobRepo["Service"], id: JobId) => Effect.Effect<Option.Option<unknown>, unknown>
  }> = [
    { by: "another attempt took it over", fate: "lost", status: "running", take: (repo, id) => repo.markRunning(id) },
    {
      by: "another worker failed it for good",
      fate: "failed",
      status: "failed",
      take: (repo, id) =>
        repo.fail(id, 1, { message: "the worker running this job stopped", retryable: false, code: "worker_lost" })
    },
    {
      by: "another worker cancelled it",
      fate: "cancelled",
      status: "cancelled",
      take: (repo, id) => repo.markCancelled(id, 1)
    }
  ]
  for (const { by, fate, status, take } of lostTo) {
    it.effect(`an attempt that finds its job gone at a progress report is told so: ${by} → ${fate}`, () => {
      const started = Deferred.makeUnsafe<void>()
      const release = Deferred.makeUnsafe<void>()
      const told: Array<string> = []
      return Effect.gen(function* () {
        const repo = yield* JobRepo
        const runner = yield* JobRunner
        const record = yield* createJob("lost")
        const first = yield* Effect.forkChild(runner.run(record.job.id))
        yield* Deferred.await(started)
        assert.isTrue(Option.isSome(yield* take(repo, record.job.id).pipe(Effect.orDie)))
        yield* Deferred.succeed(release, undefined)
        const outcome = yield* Fiber.join(first)
        assert.strictEqual(outcome._tag, "Skipped")
        assert.deepStrictEqual(told, [fate])
        const row = Option.getOrThrow(yield* repo.find(record.job.id).pipe(Effect.orDie))
        assert.strictEqual(row.status, status, "the attempt that lost the job recorded nothing")
      }).pipe(
        Effect.provide(
          runnerWith({
            export_budget: (context) =>
              Deferred.succeed(started, undefined).pipe(
                Effect.andThen(Deferred.await(release)),
                Effect.andThen(context.reportProgress({ progress: 0.5, message: "half way" })),
                Effect.andThen(Effect.never),
                recordFate(told, context)
              )
          })
        )
      )
    })
  }

  // A worker process's runner (BullMQ may hand a job out again while a live worker still runs it): a running row
  // touched lately belongs to a live attempt and is left to it; one gone quiet is taken over, or failed as lost on its
  // last attempt.
  it.effect("with liveness, a delivery leaves a running job to its live attempt and takes over one gone quiet", () => {
    let runs = 0
    const quiet = (id: JobId) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql`UPDATE background_jobs SET updated_at = now() - interval '2 seconds' WHERE id = ${id}`.pipe(Effect.orDie)
      )
    return Effect.gen(function* () {
      const repo = yield* JobRepo
      const runner = yield* JobRunner
      const create = (maxAttempts: number) =>
        Effect.map(createJob("live", { type: "cleanup", queue: "low", maxAttempts }), (record) => record.job.id)
      // Attempt 1 runs on another worker, which touched the row just now.
      const job = yield* create(3)
      yield* repo.markRunning(job).pipe(Effect.orDie)
      const deferred = yield* runner.run(job).pipe(Effect.orDie)
      assert.deepStrictEqual(deferred, { _tag: "RunningElsewhere", jobId: job, recheckAfterMs: 300 })
      assert.strictEqual(runs, 0)
      assert.strictEqual(Option.getOrThrow(yield* repo.find(job).pipe(Effect.orDie)).attempts, 1)
      // That worker died: its row has gone quiet, and the next delivery takes the job over.
      yield* quiet(job)
      const resumed = yield* runner.run(job).pipe(Effect.orDie)
      assert.strictEqual(resumed._tag, "Completed")
      assert.strictEqual(runs, 1)
      assert.strictEqual(Option.getOrThrow(yield* repo.find(job).pipe(Effect.orDie)).attempts, 2)

      // On its last attempt: left alone while fresh, failed as lost once quiet.
      const last = yield* create(1)
      yield* repo.markRunning(last).pipe(Effect.orDie)
      assert.strictEqual((yield* runner.run(last).pipe(Effect.orDie))._tag, "RunningElsewhere")
      yield* quiet(last)
      const lost = yield* runner.run(last).pipe(Effect.orDie)
      assert.strictEqual(lost._tag, "Failed")
      assert.strictEqual(
        Option.getOrThrow(yield* repo.find(last).pipe(Effect.orDie)).error?.message.includes(
          "stopped without finishing"
        ),
        true
      )
      assert.strictEqual(runs, 1)
    }).pipe(Effect.provide(runnerWith({ cleanup: () => Effect.sync(() => ++runs) }, shortLiveness)))
  })

  it.effect("with liveness, a running attempt keeps touching its row, so its job is never taken over", () => {
    const started = Deferred.makeUnsafe<void>()
    const release = Deferred.makeUnsafe<void>()
    return Effect.gen(function* () {
      const repo = yield* JobRepo
      const runner = yield* JobRunner
      const record = yield* createJob("beating")
      const first = yield* Effect.forkChild(runner.run(record.job.id))
      yield* Deferred.await(started)
      // Several take-over ages later, a repeated delivery still finds the attempt alive.
      yield* Effect.sleep("1 second")
      assert.isTrue(yield* repo.isHeartbeating(record.job.id, 1, 300).pipe(Effect.orDie))
      assert.strictEqual((yield* runner.run(record.job.id).pipe(Effect.orDie))._tag, "RunningElsewhere")
      yield* Deferred.succeed(release, undefined)
      assert.strictEqual((yield* Fiber.join(first))._tag, "Completed")
      assert.strictEqual(Option.getOrThrow(yield* repo.find(record.job.id).pipe(Effect.orDie)).attempts, 1)
    }).pipe(
      Effect.provide(
        runnerWith(
          {
            export_budget: held(started, release, "done")
          },
          shortLiveness
        )
      )
    )
  })

  // The beat reads the row back: an attempt whose processor never reports progress still hears, within a beat, of a
  // cancel whose pub/sub message never came (Redis out of reach) and of a job that is no longer its own.
  const heardByTheBeat: ReadonlyArray<{
    readonly what: string
    readonly act: (repo: JobRepo["Service"], id: JobId) => Effect.Effect<unknown, unknown>
    readonly told: string
    readonly status: string
  }> = [
    {
      what: "a cancel asked for in the row",
      act: (repo, id) => repo.requestCancel(id),
      told: "cancelled",
      status: "cancelled"
    },
    {
      what: "another worker taking the job over",
      act: (repo, id) => repo.markRunning(id),
      told: "lost",
      status: "running"
    },
    {
      what: "another worker failing the job",
      act: (repo, id) =>
        repo.fail(id, 1, { message: "the worker running this job stopped", retryable: false, code: "worker_lost" }),
      told: "failed",
      status: "failed"
    }
  ]
  for (const { what, act, told: expected, status } of heardByTheBeat) {
    it.effect(`with liveness, a silent attempt stops within a beat at ${what}`, () => {
      const started = Deferred.makeUnsafe<void>()
      const told: Array<string> = []
      return Effect.gen(function* () {
        const repo = yield* JobRepo
        const runner = yield* JobRunner
        const projectId = yield* insertProject
        const record = yield* createJob("silent", { projectId })
        const attempt = yield* Effect.forkChild(runner.run(record.job.id))
        yield* Deferred.await(started)
        yield* act(repo, record.job.id).pipe(Effect.orDie)
        yield* Fiber.join(attempt).pipe(Effect.timeout("3 seconds"))
        assert.deepStrictEqual(told, [expected])
        assert.strictEqual(Option.getOrThrow(yield* repo.find(record.job.id).pipe(Effect.orDie)).status, status)
      }).pipe(
        Effect.provide(
          runnerWith(
            {
              // Never reports progress and never ends on its own.
              export_budget: (context) =>
                Deferred.succeed(started, undefined).pipe(Effect.andThen(Effect.never), recordFate(told, context))
            },
            shortLiveness
          )
        )
      )
    })
  }

  // A retry starts the count users see again, but not the fence: an attempt of the earlier run that is still stopping
  // somewhere cannot write as the retried run's attempt of the same number.
  it.effect("an attempt of the run before a retry writes nothing into the retried run", () => {
    const started = Deferred.makeUnsafe<void>()
    const release = Deferred.makeUnsafe<void>()
    return Effect.gen(function* () {
      const repo = yield* JobRepo
      const runner = yield* JobRunner
      const record = yield* createJob("aba")
      const id = record.job.id
      const old = yield* Effect.forkChild(runner.run(id))
      yield* Deferred.await(started)
      // Another worker gives up on it, a user retries it, and a new attempt starts: the first of the new run.
      yield* repo
        .fail(id, 1, { message: "the worker stopped", retryable: false, code: "worker_lost" })
        .pipe(Effect.orDie)
      const retried = Option.getOrThrow(yield* repo.resetForRetry(id).pipe(Effect.orDie))
      assert.deepStrictEqual([retried.job.attempts, retried.job.maxAttempts], [0, 3])
      const restarted = Option.getOrThrow(yield* repo.markRunning(id).pipe(Effect.orDie))
      assert.deepStrictEqual([restarted.job.attempts, restarted.job.maxAttempts], [1, 3])
      // The old attempt goes on and reports: its write finds the job no longer its own.
      yield* Deferred.succeed(release, undefined)
      assert.strictEqual((yield* Fiber.join(old))._tag, "Skipped")
      const row = Option.getOrThrow(yield* repo.find(id).pipe(Effect.orDie))
      assert.strictEqual(row.status, "running", "still the new attempt's")
      assert.notStrictEqual(row.message, "half way", "the old attempt's progress did not land")
      assert.strictEqual(row.attempts, 1)
    }).pipe(
      Effect.provide(
        runnerWith({
          export_budget: (context) =>
            Deferred.succeed(started, undefined).pipe(
              Effect.andThen(Deferred.await(release)),
              Effect.andThen(context.reportProgress({ progress: 0.5, message: "half way" })),
              Effect.as("old run")
            )
        })
      )
    )
  })

  it.effect("with liveness, a retried job's attempt beats under its own fence and is not taken for lost", () => {
    let runs = 0
    return Effect.gen(function* () {
      const repo = yield* JobRepo
      const runner = yield* JobRunner
      const record = yield* createJob("retried-beat")
      const id = record.job.id
      assert.strictEqual((yield* runner.run(id).pipe(Effect.orDie))._tag, "Failed")
      yield* repo.resetForRetry(id).pipe(Effect.orDie)
      // Attempt 1 of the retried run, fence 2: it outlives several beats.
      const outcome = yield* runner.run(id).pipe(Effect.orDie)
      assert.strictEqual(outcome._tag, "Completed")
      assert.strictEqual(runs, 2)
      const row = Option.getOrThrow(yield* repo.findRecord(id).pipe(Effect.orDie))
      assert.deepStrictEqual([row.job.status, row.job.attempts, row.fence], ["completed", 1, 2])
    }).pipe(
      Effect.provide(
        runnerWith(
          {
            export_budget: () =>
              Effect.suspend(() => {
                runs += 1
                return runs === 1
                  ? Effect.fail(new PermanentJobFailure({ message: "first run fails" }))
                  : Effect.sleep("600 millis").pipe(Effect.as("second run"))
              })
          },
          shortLiveness
        )
      )
    )
  })

  it.effect("a shutdown's hand-back does not use up an attempt, and the next attempt writes under a new fence", () =>
    Effect.gen(function* () {
      const repo = yield* JobRepo
      const record = yield* createJob("released", { maxAttempts: 2 })
      const id = record.job.id
      const first = Option.getOrThrow(yield* repo.markRunning(id).pipe(Effect.orDie))
      const released = Option.getOrThrow(yield* repo.release(id, first.fence).pipe(Effect.orDie))
      assert.deepStrictEqual([released.status, released.attempts, released.maxAttempts], ["queued", 0, 2])
      const second = Option.getOrThrow(yield* repo.markRunning(id).pipe(Effect.orDie))
      assert.deepStrictEqual([second.job.attempts, second.job.maxAttempts], [1, 2])
      assert.deepStrictEqual([first.fence, second.fence], [1, 2])
      // The released attempt's number no longer writes.
      const stale = yield* repo.complete(id, first.fence, "stale").pipe(Effect.orDie)
      assert.isTrue(Option.isNone(stale))
    })
  )

  it.effect("a job whose worker died in each of its attempts fails for good instead of being taken over again", () => {
    let runs = 0
    return Effect.gen(function* () {
      const repo = yield* JobRepo
      const runner = yield* JobRunner
      const projectId = yield* insertProject
      const record = yield* createJob("doomed", { projectId, maxAttempts: 2 })
      // Two deliveries whose workers died mid-job (what kill -9 leaves): the row says running, attempt 2 of 2.
      yield* repo.markRunning(record.job.id).pipe(Effect.orDie)
      const second = Option.getOrThrow(yield* repo.markRunning(record.job.id).pipe(Effect.orDie))
      assert.strictEqual(second.job.attempts, 2)
      const outcome = yield* runner.run(record.job.id).pipe(Effect.orDie)
      assert.strictEqual(outcome._tag, "Failed")
      assert.strictEqual(runs, 0, "the processor did not run a third time")
      const row = Option.getOrThrow(yield* repo.find(record.job.id).pipe(Effect.orDie))
      assert.strictEqual(row.status, "failed")
      assert.strictEqual(row.attempts, 2)
      assert.isFalse(row.error!.retryable)
      assert.include(row.error!.message, "stopped without finishing it")
      assert.include(
        (yield* journal(projectId)).map((event) => event.type),
        "JobFailed"
      )
    }).pipe(Effect.provide(runnerWith({ export_budget: () => Effect.sync(() => ++runs) })))
  })

  it.effect("enqueueMany stores many jobs in one statement and every one of them runs once", () => {
    const seen = new Map<string, number>()
    return Effect.gen(function* () {
      const queue = yield* JobQueue
      const options = Array.from({ length: 2000 }, (_, index) => ({
        type: "cleanup" as const,
        projectId: null,
        jobId: `bulk-${index}` as JobId,
        payload: { index }
      }))
      // A repeated id in the same call is one job.
      const jobs = yield* queue.enqueueMany([...options, options[0]!])
      assert.strictEqual(jobs.length, 2001)
      assert.strictEqual(jobs[2000]!.id, jobs[0]!.id)
      yield* awaitJob("bulk-1999" as JobId, ["completed"], "30 seconds")
      for (const job of jobs.slice(0, 50)) yield* awaitJob(job.id, ["completed"])
      const sql = yield* SqlClient.SqlClient
      const [counts] = yield* sql<{ completed: string }>`
        SELECT count(*) FILTER (WHERE status = 'completed') AS completed FROM background_jobs WHERE id LIKE 'bulk-%'`.pipe(
        Effect.orDie
      )
      assert.strictEqual(Number(counts!.completed), 2000)
      assert.strictEqual(seen.size, 2000)
      assert.isTrue([...seen.values()].every((count) => count === 1))
    }).pipe(
      Effect.provide(
        inProcess(
          { cleanup: (context) => Effect.sync(() => seen.set(context.job.id, (seen.get(context.job.id) ?? 0) + 1)) },
          { concurrency: 8 }
        )
      )
    )
  })

  it.effect("lists a project's jobs newest first, by status, a page at a time", () =>
    Effect.gen(function* () {
      const projectId = yield* insertProject
      const queue = yield* JobQueue
      const repo = yield* JobRepo
      const jobs = []
      for (let i = 0; i < 5; i++) {
        const job = yield* queue.enqueue({ type: "cleanup", projectId, payload: { fail: i % 2 === 1 } })
        jobs.push(yield* awaitJob(job.id))
      }
      const all = yield* repo.listByProject(projectId).pipe(Effect.orDie)
      assert.deepStrictEqual(
        all.map((job) => job.id),
        [...jobs].reverse().map((job) => job.id)
      )
      const failed = yield* repo.listByProject(projectId, { status: "failed" }).pipe(Effect.orDie)
      assert.deepStrictEqual(
        failed.map((job) => job.id),
        [jobs[3]!.id, jobs[1]!.id]
      )
      assert.strictEqual(yield* repo.countByProject(projectId, "failed").pipe(Effect.orDie), 2)
      const page = yield* repo.listByProject(projectId, { limit: 2, offset: 2 }).pipe(Effect.orDie)
      assert.deepStrictEqual(
        page.map((job) => job.id),
        [jobs[2]!.id, jobs[1]!.id]
      )
    }).pipe(
      Effect.provide(
        inProcess({
          cleanup: (context) =>
            (context.payload as { fail: boolean }).fail
              ? Effect.fail(new PermanentJobFailure({ message: "odd one" }))
              : Effect.succeed("ok")
        })
      )
    )
  )
})

describe("estimateEta", () => {
  plainIt("is the time left at the attempt's average rate, to a tenth of a second", () => {
    assert.strictEqual(estimateEta(0.25, 1000), 3)
    assert.strictEqual(estimateEta(0.5, 1000), 1)
    assert.strictEqual(estimateEta(0.9, 1800), 0.2)
    assert.strictEqual(estimateEta(1, 5000), 0, "done: nothing left")
  })

  plainIt("shrinks as a job advances at a steady rate, and says nothing too early or before any progress", () => {
    const estimates = [0.1, 0.3, 0.5, 0.7, 0.9].map((progress) => estimateEta(progress, progress * 2000))
    for (let i = 1; i < estimates.length; i++) assert.isBelow(estimates[i]!, estimates[i - 1]!)
    assert.isNull(estimateEta(0, 5000))
    assert.isNull(estimateEta(0.5, 50))
  })
})
