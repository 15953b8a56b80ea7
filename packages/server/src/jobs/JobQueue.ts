// Enqueues, cancels and retries background jobs: writes the background_jobs row first, then tells the profile's runner
// — the in-process queue (embedded) or BullMQ (production, run by @costline/worker). Callers never see which.
// Also owns superseding: a new audit of a project cancels its queued audits of older versions.
import type { Job, JobId, JobQueueName, JobType, ProjectEventBody, ProjectId, UserId } from "@costline/core"
import { Config, Context, type Duration, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { spanWhenTracing } from "../config/spanWhenTracing.ts"
import { ProjectEventLog } from "../events/ProjectEventLog.ts"
import type { Redis } from "../redis/Redis.ts"
import * as Batcher from "./Batcher.ts"
import * as BullMQJobs from "./BullMQJobs.ts"
import * as BullMQProducer from "./BullMQProducer.ts"
import * as InProcessJobQueue from "./InProcessJobQueue.ts"
import { JobProcessors } from "./JobProcessors.ts"
import { type CreateJob, type JobRecord, JobRepo } from "./JobRepo.ts"
import { JobRunner } from "./JobRunner.ts"
import { cannotCancel, cannotRetry, type JobNotFound, type JobStateConflict, jobNotFound } from "./JobStateError.ts"

export interface EnqueueOptions {
  readonly type: JobType
  readonly projectId: ProjectId | null
  /**
   * Stored as JSON in background_jobs; never sent through Redis. Default {}. For audit_project, a numeric `version`
   * makes the audit supersede the project's queued audits of older versions.
   */
  readonly payload?: unknown
  /** A deterministic id makes enqueueing idempotent: the existing job is returned. Default: a random UUID. */
  readonly jobId?: JobId | undefined
  /** BullMQ's scale: 0 (default) = no priority, taken first; 1 = most urgent of the prioritized, up to 2 097 152. */
  readonly priority?: number | undefined
  readonly createdBy?: UserId | null | undefined
  /** Attempts for transient failures, 1–100; default 3. */
  readonly maxAttempts?: number | undefined
}

/** Which queue a job type runs on: user-facing work first, housekeeping last. */
export const queueForJobType = (type: JobType): JobQueueName => {
  switch (type) {
    case "audit_project":
      return "high"
    case "enrich_positions":
    case "analytics_refresh":
    case "cleanup":
      return "low"
    default:
      return "default"
  }
}

const PRIORITY_LIMIT = 2_097_152

// Bad options are a programming error at the call site, not something a user can fix: they die with a message.
const checked = (options: EnqueueOptions): Effect.Effect<CreateJob> =>
  Effect.suspend(() => {
    const priority = options.priority ?? 0
    const maxAttempts = options.maxAttempts ?? 3
    if (!Number.isInteger(priority) || priority < 0 || priority > PRIORITY_LIMIT) {
      return Effect.die(new Error(`JobQueue.enqueue: priority must be a whole number from 0 to ${PRIORITY_LIMIT}`))
    }
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
      return Effect.die(new Error("JobQueue.enqueue: maxAttempts must be a whole number from 1 to 100"))
    }
    return Effect.succeed({
      id: options.jobId ?? (crypto.randomUUID() as JobId),
      projectId: options.projectId,
      type: options.type,
      queue: queueForJobType(options.type),
      priority,
      payload: options.payload ?? {},
      createdBy: options.createdBy ?? null,
      maxAttempts
    })
  })

/** The version an audit job is for, when its payload names one. */
const auditVersion = (record: JobRecord): number | undefined => {
  const payload = record.payload
  if (record.job.type !== "audit_project" || payload === null || typeof payload !== "object") return undefined
  const version = (payload as { readonly version?: unknown }).version
  return typeof version === "number" && Number.isFinite(version) ? version : undefined
}

/** How the profile's runner learns about queue changes; everything else is shared. */
interface Backend {
  /** Jobs enqueued together, before they are stored: how they will travel (BullMQ packs them). */
  readonly pack: (inputs: ReadonlyArray<CreateJob>) => ReadonlyArray<CreateJob>
  /** Queued rows to run (new, or handed off again). */
  readonly submit: (records: ReadonlyArray<JobRecord>) => Effect.Effect<void>
  /** A row reset by a retry request. */
  readonly resubmit: (record: JobRecord) => Effect.Effect<void>
  /** A queued job was cancelled: take it off the queue if that is cheap (the runner skips it anyway). */
  readonly withdraw: (record: JobRecord) => Effect.Effect<void>
  /** A running job was asked to cancel: stop it wherever it runs. */
  readonly interrupt: (record: JobRecord) => Effect.Effect<void>
}

export class JobQueue extends Context.Service<
  JobQueue,
  {
    /** Stores the job (status queued) and schedules it; returns the job as stored. */
    readonly enqueue: (options: EnqueueOptions) => Effect.Effect<Job>
    /**
     * `enqueue` for many jobs: one INSERT and one hand-off per queue, whatever their number; on BullMQ they travel in
     * packs (BullMQJobs). Answers in input order. Meant for many short jobs: the jobs of a pack (up to 50) all run in
     * the worker process that took it, so long jobs that should spread over several workers are enqueued one by one.
     */
    readonly enqueueMany: (options: ReadonlyArray<EnqueueOptions>) => Effect.Effect<ReadonlyArray<Job>>
    /**
     * Cancels a job: a queued one ends `cancelled` at once and never starts; a running one is asked to stop and ends
     * `cancelled` at its next step (the returned job still says running). Cancelling a cancelled job is a no-op.
     */
    readonly cancel: (jobId: JobId) => Effect.Effect<Job, JobNotFound | JobStateConflict>
    /** Runs a failed or cancelled job again from the start (attempts reset); returns it queued. */
    readonly retry: (jobId: JobId) => Effect.Effect<Job, JobNotFound | JobStateConflict>
  }
>()("@costline/server/JobQueue") {
  /** Embedded profile with options (concurrency, retry backoff) and the runner (hence the processors) of your choice. */
  static readonly layerInProcessWith = (options: InProcessJobQueue.InProcessOptions) =>
    Layer.effect(
      JobQueue,
      Effect.gen(function* () {
        const runner = yield* JobRunner
        const queue = yield* InProcessJobQueue.make(options)
        return yield* make({
          pack: (inputs) => inputs,
          submit: (records) => Effect.forEach(records, queue.submit, { discard: true }),
          resubmit: queue.submit,
          // Left in the in-memory queue: the runner finds the row cancelled and skips it.
          withdraw: () => Effect.void,
          interrupt: (record) => Effect.asVoid(runner.cancel(record.job.id))
        })
      })
    )

  /**
   * Embedded profile, complete: the built-in processors run in this process on 2 fibers, retries after 1 s, 2 s, 4 s…
   * Resumes the unfinished jobs of the database on start. COSTLINE_TEST_PROCESSORS=1 adds the test behaviours
   * (TestProcessors.ts) for end-to-end tests.
   */
  static readonly layerInProcess = JobQueue.layerInProcessWith({}).pipe(
    Layer.provide(JobRunner.layer),
    Layer.provide(JobProcessors.layer.pipe(withTestProcessorsWhenEnabled))
  )

  /** Production profile, with options (retry backoff). */
  static readonly layerBullMQWith = (options: {
    readonly backoff?: Duration.Input | undefined
  }): Layer.Layer<JobQueue, never, JobRepo | ProjectEventLog | SqlClient.SqlClient | Redis> =>
    Layer.effect(
      JobQueue,
      Effect.gen(function* () {
        const producer = yield* BullMQProducer.makeProducer(options)
        return yield* make({
          pack: BullMQJobs.packJobs,
          submit: producer.addMany,
          resubmit: producer.replace,
          withdraw: producer.remove,
          interrupt: (record) => producer.publishCancel(record.job.id)
        })
      })
    )

  /** Production profile: BullMQ queues high/default/low with the Redis prefix; @costline/worker runs the jobs. */
  static readonly layerBullMQ = JobQueue.layerBullMQWith({})
}

/**
 * With COSTLINE_TEST_PROCESSORS=1 (tests only), every job type also understands the test payloads of
 * TestProcessors.ts; the module is loaded only then, so a normal start never carries it.
 */
export function withTestProcessorsWhenEnabled<E, R>(
  processors: Layer.Layer<JobProcessors, E, R>
): Layer.Layer<JobProcessors, E, R> {
  const enabled = Config.Boolean("COSTLINE_TEST_PROCESSORS").pipe(Config.withDefault(false))
  const withTests = Layer.effect(
    JobProcessors,
    Effect.gen(function* () {
      const base = yield* JobProcessors
      const testing = yield* Effect.promise(() => import("./TestProcessors.ts"))
      return testing.withTestProcessors(base)
    })
  ).pipe(Layer.provide(processors))
  return Layer.unwrap(
    Effect.map(
      Effect.orElseSucceed(enabled, () => false),
      (on): Layer.Layer<JobProcessors, E, R> => (on ? withTests : processors)
    )
  )
}

const make = Effect.fnUntraced(function* (backend: Backend) {
  const repo = yield* JobRepo
  const events = yield* ProjectEventLog
  const sql = yield* SqlClient.SqlClient

  const journal = (job: Job, body: ProjectEventBody) =>
    job.projectId === null ? Effect.void : Effect.asVoid(events.append(job.projectId, body))

  const supersede = (records: ReadonlyArray<JobRecord>) =>
    Effect.forEach(
      records,
      (record) => {
        const version = auditVersion(record)
        const projectId = record.job.projectId
        if (version === undefined || projectId === null) return Effect.succeed([] as ReadonlyArray<JobRecord>)
        return sql.withTransaction(
          Effect.tap(repo.supersedeAudits(projectId, version, record.job.id), (superseded) =>
            Effect.forEach(superseded, (old) => journal(old.job, { _tag: "JobCancelled", job: old.job }), {
              discard: true
            })
          )
        )
      },
      { concurrency: 1 }
    ).pipe(Effect.map((lists) => lists.flat()))

  const inTransaction = Effect.map(Effect.serviceOption(sql.transactionService), Option.isSome)

  const store = (inputs: ReadonlyArray<CreateJob>): Effect.Effect<ReadonlyArray<Job>> =>
    Effect.gen(function* () {
      const results = yield* repo.createMany(inputs).pipe(Effect.orDie)
      // A job that exists and is still queued is handed off again: if the first hand-off was lost (Redis down after
      // the insert), enqueueing the same id repairs it; BullMQ and the in-process queue both ignore a duplicate.
      const seen = new Set<JobId>()
      const queued = results
        .map((result) => result.record)
        .filter((record) => record.job.status === "queued" && !seen.has(record.job.id) && seen.add(record.job.id))
      const superseded = yield* supersede(
        results.filter((result) => result.created).map((result) => result.record)
      ).pipe(Effect.orDie)
      const handOff = backend
        .submit(queued)
        .pipe(Effect.andThen(Effect.forEach(superseded, backend.withdraw, { discard: true })))
      // Inside a caller's transaction the runner must not hear of a row before it commits (it would find nothing).
      yield* (yield* inTransaction) ? sql.afterCommit(handOff) : handOff
      if (superseded.length > 0) yield* Effect.logInfo(`superseded ${superseded.length} queued audits`)
      return results.map((result) => result.record.job)
    })

  // Single enqueues made at the same time (requests, processors enqueueing follow-ups) share one INSERT and one
  // hand-off; an enqueue inside a transaction runs on its own, on that transaction's connection.
  const storeOne = yield* Batcher.make({ run: store, maxBatch: 1000 })

  const enqueueMany = (optionsList: ReadonlyArray<EnqueueOptions>): Effect.Effect<ReadonlyArray<Job>> =>
    Effect.forEach(optionsList, checked).pipe(
      Effect.map(backend.pack),
      Effect.flatMap(store),
      spanWhenTracing("JobQueue.enqueueMany", { attributes: { count: optionsList.length } })
    )

  const enqueue = (options: EnqueueOptions): Effect.Effect<Job> =>
    checked(options).pipe(
      Effect.flatMap((input) =>
        Effect.flatMap(inTransaction, (inside) =>
          inside ? Effect.map(store([input]), (jobs) => jobs[0]!) : storeOne(input)
        )
      ),
      Effect.annotateLogs({ jobType: options.type }),
      spanWhenTracing("JobQueue.enqueue", { attributes: { jobType: options.type } })
    )

  const cancel = Effect.fn("JobQueue.cancel")(function* (jobId: JobId) {
    const requested = yield* sql
      .withTransaction(
        Effect.tap(repo.requestCancel(jobId), (written) =>
          Option.isSome(written) && written.value.job.status === "cancelled"
            ? journal(written.value.job, { _tag: "JobCancelled", job: written.value.job })
            : Effect.void
        )
      )
      .pipe(Effect.orDie)
    if (Option.isNone(requested)) {
      const existing = yield* Effect.orDie(repo.find(jobId))
      if (Option.isNone(existing)) return yield* jobNotFound(jobId)
      if (existing.value.status === "cancelled") return existing.value
      return yield* cannotCancel(jobId, existing.value.status)
    }
    const record = requested.value
    yield* record.job.status === "cancelled" ? backend.withdraw(record) : backend.interrupt(record)
    yield* Effect.logInfo(record.job.status === "cancelled" ? "queued job cancelled" : "running job asked to cancel")
    return record.job
  })

  const retry = Effect.fn("JobQueue.retry")(function* (jobId: JobId) {
    const reset = yield* sql
      .withTransaction(
        Effect.tap(repo.resetForRetry(jobId), (written) =>
          Option.isSome(written)
            ? journal(written.value.job, {
                _tag: "JobProgress",
                jobId,
                progress: 0,
                message: written.value.job.message,
                step: 0,
                totalSteps: written.value.job.totalSteps,
                eta: null
              })
            : Effect.void
        )
      )
      .pipe(Effect.orDie)
    if (Option.isNone(reset)) {
      const existing = yield* Effect.orDie(repo.find(jobId))
      if (Option.isNone(existing)) return yield* jobNotFound(jobId)
      return yield* cannotRetry(jobId, existing.value.status)
    }
    yield* backend.resubmit(reset.value)
    yield* Effect.logInfo("job queued again by a retry request")
    return reset.value.job
  })

  return JobQueue.of({
    enqueue,
    enqueueMany,
    cancel: (jobId) => cancel(jobId).pipe(Effect.annotateLogs({ jobId })),
    retry: (jobId) => retry(jobId).pipe(Effect.annotateLogs({ jobId }))
  })
})
