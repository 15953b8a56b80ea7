// Jobs enqueued together travel through BullMQ in packs (BullMQJobs): against real PostgreSQL and Redis, every job
// of a pack still runs exactly once with its own row, a job of a pack that fails transiently is retried alone, a
// cancelled job of a waiting pack never starts, and a pack whose hand-off was lost is handed again under the same id.
import type { JobId } from "@costline/core"
import * as BullMQProducer from "@costline/server/jobs/BullMQProducer"
import { RetryableJobFailure } from "@costline/server/jobs/JobFailure"
import type { ProcessorRegistry } from "@costline/server/jobs/JobProcessors"
import { JobProcessors } from "@costline/server/jobs/JobProcessors"
import { JobQueue } from "@costline/server/jobs/JobQueue"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { JobRunner } from "@costline/server/jobs/JobRunner"
import { livenessForLock } from "@costline/server/jobs/Liveness"
import { Redis } from "@costline/server/redis/Redis"
import { assert, layer } from "@effect/vitest"
import { Deferred, type Duration, Effect, Exit, Fiber, Layer, Option, Scope } from "effect"
import { SqlClient } from "effect/sql"
import { bullmqInfrastructure, bullmqWorkers } from "./bullmqFixture.ts"
import { awaitJob } from "./jobFixtures.ts"

const Infrastructure = bullmqInfrastructure("packs", "100 millis")

/** BullMQ workers on all three queues, running export_budget with `processor` (and BullMQ's lock, when given). */
const workers = (
  processor: NonNullable<ProcessorRegistry["export_budget"]>,
  concurrency = 4,
  lockDuration?: Duration.Input
) =>
  bullmqWorkers(
    { export_budget: processor },
    {
      backoff: "100 millis",
      concurrency: { high: concurrency, default: concurrency, low: concurrency },
      shutdownTimeout: "5 seconds",
      ...(lockDuration === undefined ? {} : { lockDuration, runner: { liveness: livenessForLock(lockDuration) } })
    }
  )

/** Counts the runs of each job id. */
const counting = (runs: Map<string, number>) => (context: { readonly job: { readonly id: string } }) =>
  Effect.sync(() => {
    runs.set(context.job.id, (runs.get(context.job.id) ?? 0) + 1)
    return { ran: true }
  })

const enqueueBatch = (label: string, count: number) =>
  Effect.gen(function* () {
    const queue = yield* JobQueue
    return yield* queue.enqueueMany(
      Array.from({ length: count }, (_, index) => ({
        type: "export_budget" as const,
        projectId: null,
        jobId: `${label}-${index}-${crypto.randomUUID().slice(0, 8)}` as JobId
      }))
    )
  })

/** The BullMQ jobs (hashes) of the default queue, by the kind of envelope they carry. */
const bullJobsInRedis = Effect.gen(function* () {
  const redis = yield* Redis
  const keys = yield* Effect.promise(() => redis.client.keys(`${redis.prefix}:default:*`))
  const datas = yield* Effect.forEach(keys, (key) =>
    Effect.promise(() =>
      redis.client.type(key).then((type) => (type === "hash" ? redis.client.hget(key, "data") : null))
    )
  )
  const envelopes = datas.filter((data): data is string => data !== null).map((data) => JSON.parse(data))
  return {
    packs: envelopes.filter((envelope) => Array.isArray(envelope.jobIds)),
    alone: envelopes.filter((envelope) => typeof envelope.jobId === "string")
  }
})

const handoffs = (ids: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ handoff: string | null }>`SELECT handoff FROM background_jobs WHERE id = ANY(${ids})`
    return rows.map((row) => row.handoff)
  }).pipe(Effect.orDie)

layer(Infrastructure, { excludeTestServices: true, timeout: "60 seconds" })("BullMQ packs", (it) => {
  it.effect("120 jobs enqueued together travel as 3 packs and each runs exactly once", () => {
    const runs = new Map<string, number>()
    return Effect.gen(function* () {
      const jobs = yield* enqueueBatch("many", 120)
      const ids = jobs.map((job) => job.id)
      const packIds = new Set(yield* handoffs(ids))
      assert.strictEqual(packIds.size, 3, "50 + 50 + 20")
      assert.isFalse(packIds.has(null))
      const inRedis = yield* bullJobsInRedis
      assert.strictEqual(inRedis.packs.length, 3)
      assert.deepStrictEqual(inRedis.packs.flatMap((pack) => pack.jobIds).sort(), [...ids].sort())

      yield* Effect.forEach(ids, (id) => awaitJob(id), { discard: true }).pipe(Effect.provide(workers(counting(runs))))
      for (const id of ids) {
        const job = Option.getOrThrow(yield* (yield* JobRepo).find(id).pipe(Effect.orDie))
        assert.strictEqual(job.status, "completed", id)
        assert.strictEqual(job.attempts, 1, id)
        assert.strictEqual(runs.get(id), 1, `${id} ran once`)
      }
    })
  })

  it.effect("a job of a pack that fails transiently is retried alone, after its backoff, and completes", () => {
    const runs = new Map<string, number>()
    let flaky = ""
    return Effect.gen(function* () {
      const jobs = yield* enqueueBatch("flaky", 10)
      flaky = jobs[3]!.id
      const ids = jobs.map((job) => job.id)
      yield* Effect.forEach(ids, (id) => awaitJob(id), { discard: true }).pipe(
        Effect.provide(
          workers((context) =>
            Effect.suspend(() => {
              runs.set(context.job.id, (runs.get(context.job.id) ?? 0) + 1)
              return context.job.id === flaky && context.job.attempts === 1
                ? Effect.fail(new RetryableJobFailure({ message: "a lock timeout, try again" }))
                : Effect.succeed({ ran: true })
            })
          )
        )
      )
      const retried = Option.getOrThrow(yield* (yield* JobRepo).find(flaky as JobId).pipe(Effect.orDie))
      assert.strictEqual(retried.status, "completed")
      assert.strictEqual(retried.attempts, 2)
      assert.strictEqual(runs.get(flaky), 2)
      for (const id of ids.filter((id) => id !== flaky)) assert.strictEqual(runs.get(id), 1, `${id} ran once`)
      // The retry left the pack: its row travels alone now.
      assert.deepStrictEqual(yield* handoffs([flaky]), [null])
    })
  })

  it.effect("a cancelled job of a waiting pack never starts; the rest of the pack runs", () => {
    const runs = new Map<string, number>()
    return Effect.gen(function* () {
      const jobs = yield* enqueueBatch("cancel", 5)
      const queue = yield* JobQueue
      const cancelled = yield* queue.cancel(jobs[2]!.id)
      assert.strictEqual(cancelled.status, "cancelled")
      const others = jobs.filter((_, index) => index !== 2).map((job) => job.id)
      yield* Effect.forEach(others, (id) => awaitJob(id), { discard: true }).pipe(
        Effect.provide(workers(counting(runs)))
      )
      assert.isFalse(runs.has(jobs[2]!.id), "the cancelled job never ran")
      assert.strictEqual((yield* awaitJob(jobs[2]!.id, ["cancelled"])).attempts, 0)
      for (const id of others) assert.strictEqual(runs.get(id), 1)
    })
  })

  it.effect("a pack lost from Redis is handed again under the same id, and its jobs run once", () => {
    const runs = new Map<string, number>()
    return Effect.gen(function* () {
      const jobs = yield* enqueueBatch("lost", 8)
      const ids = jobs.map((job) => job.id)
      // Redis forgets the queue (flushed, failed over): only the rows remember the jobs.
      const redis = yield* Redis
      const keys = yield* Effect.promise(() => redis.client.keys(`${redis.prefix}:default:*`))
      if (keys.length > 0) yield* Effect.promise(() => redis.client.del(...keys))
      assert.strictEqual((yield* bullJobsInRedis).packs.length, 0)

      // What the worker's sweep does, twice: the second hand-off finds the pack in BullMQ and adds nothing.
      const repo = yield* JobRepo
      const producer = yield* BullMQProducer.makeProducer()
      const unfinished = (yield* repo.listUnfinished.pipe(Effect.orDie)).filter((record) => ids.includes(record.job.id))
      yield* producer.addMany(unfinished)
      yield* producer.addMany(unfinished)
      const inRedis = yield* bullJobsInRedis
      assert.strictEqual(inRedis.packs.length, 1)
      assert.strictEqual(inRedis.packs[0].jobIds.length, 8)

      yield* Effect.forEach(ids, (id) => awaitJob(id), { discard: true }).pipe(Effect.provide(workers(counting(runs))))
      for (const id of ids) assert.strictEqual(runs.get(id), 1, `${id} ran once`)
    })
  })

  // A worker process's runner: a pack that finds one of its jobs running on a live worker (its row touched lately) runs
  // the others and is delivered again later; by then that row has gone quiet (nothing touches it here), and the job
  // is taken over.
  it.effect("a pack with a job still running on a live worker runs the rest, and looks at that job again later", () => {
    const runs = new Map<string, number>()
    const startedAt = new Map<string, number>()
    return Effect.gen(function* () {
      const repo = yield* JobRepo
      const jobs = yield* enqueueBatch("live", 3)
      const ids = jobs.map((job) => job.id)
      const [busy] = ids
      const pack = (yield* handoffs([busy!]))[0]!
      yield* repo.markRunning(busy!, pack).pipe(Effect.orDie)
      const markedAt = Date.now()
      const ended = yield* Effect.forEach(ids, (id) =>
        awaitJob(id, ["completed", "failed", "cancelled"], "15 seconds")
      ).pipe(
        Effect.provide(
          workers(
            (context) =>
              Effect.sync(() => {
                startedAt.set(context.job.id, Date.now())
                runs.set(context.job.id, (runs.get(context.job.id) ?? 0) + 1)
                return { ran: true }
              }),
            4,
            "1500 millis"
          )
        )
      )
      assert.deepStrictEqual(
        ended.map((job) => job.status),
        ["completed", "completed", "completed"]
      )
      for (const id of ids) assert.strictEqual(runs.get(id), 1, `${id} ran once`)
      assert.deepStrictEqual(
        ended.map((job) => job.attempts),
        [2, 1, 1],
        "the busy job was taken over as its second attempt"
      )
      // Not before its row had been quiet for the take-over age (a third of the lock).
      assert.isAtLeast(startedAt.get(busy!)! - markedAt, 500)
    })
  })

  it.effect("a delivery by a BullMQ job that no longer carries the job is skipped", () => {
    let runs = 0
    return Effect.gen(function* () {
      const repo = yield* JobRepo
      const runner = yield* JobRunner
      const [job] = yield* enqueueBatch("carrier", 2)
      const pack = (yield* handoffs([job!.id]))[0]!
      // Delivered alone although it travels in a pack: not started.
      const alone = yield* runner.run(job!.id, { carrier: null }).pipe(Effect.orDie)
      assert.strictEqual(alone._tag, "Skipped")
      // Its pack starts it.
      const inPack = yield* runner.run(job!.id, { carrier: pack }).pipe(Effect.orDie)
      assert.strictEqual(inPack._tag, "Completed")
      assert.strictEqual(runs, 1)
      // A job that left its pack (a retry queued alone) is not started by the pack delivered again.
      const [other] = yield* enqueueBatch("left", 2)
      const otherPack = (yield* handoffs([other!.id]))[0]!
      const started = Option.getOrThrow(yield* repo.markRunning(other!.id, otherPack).pipe(Effect.orDie))
      yield* repo.requeue(other!.id, started.fence, { message: "retry", retryable: true }).pipe(Effect.orDie)
      const stale = yield* runner.run(other!.id, { carrier: otherPack }).pipe(Effect.orDie)
      assert.strictEqual(stale._tag, "Skipped")
      assert.strictEqual(runs, 1)
      const row = Option.getOrThrow(yield* repo.find(other!.id).pipe(Effect.orDie))
      assert.strictEqual(row.status, "queued", "left for the delivery that carries it now")
    }).pipe(
      Effect.provide(
        JobRunner.layerWith({}).pipe(
          Layer.provide(JobProcessors.layerWith({ export_budget: () => Effect.sync(() => ++runs) }))
        )
      )
    )
  })

  it.effect("a shutting-down worker finishes the running job of a pack and hands the rest back unstarted", () => {
    const gate = Deferred.makeUnsafe<void>()
    const firstStarted = Deferred.makeUnsafe<void>()
    const runs = new Map<string, number>()
    return Effect.gen(function* () {
      const jobs = yield* enqueueBatch("shutdown", 4)
      const ids = jobs.map((job) => job.id)
      const first = ids[0]!
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(
        workers(
          (context) =>
            Effect.gen(function* () {
              runs.set(context.job.id, (runs.get(context.job.id) ?? 0) + 1)
              if (context.job.id === first) {
                yield* Deferred.succeed(firstStarted, undefined)
                yield* Deferred.await(gate)
              }
              return { ran: true }
            }),
          1
        ),
        scope
      )
      yield* Deferred.await(firstStarted)
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
      yield* Effect.sleep("200 millis")
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(closing)
      const repo = yield* JobRepo
      assert.strictEqual(Option.getOrThrow(yield* repo.find(first).pipe(Effect.orDie)).status, "completed")
      for (const id of ids.slice(1)) {
        const row = Option.getOrThrow(yield* repo.find(id).pipe(Effect.orDie))
        assert.strictEqual(row.status, "queued", `${id} was not started during the shutdown`)
        assert.strictEqual(row.attempts, 0)
      }
      // The next worker takes the pack and runs the rest; the finished job is not run again.
      yield* Effect.forEach(ids, (id) => awaitJob(id), { discard: true }).pipe(Effect.provide(workers(counting(runs))))
      for (const id of ids) assert.strictEqual(runs.get(id), 1, `${id} ran once`)
    })
  })
})
