// Enqueues background jobs: writes the background_jobs row first, then hands the job to the profile's runner — the
// in-process queue (embedded) or BullMQ (production, run by @costline/worker). Callers never see which.
import type { Job, JobId, JobQueueName, JobType, ProjectId, UserId } from "@costline/core"
import { Context, type Duration, Effect, Layer } from "effect"
import type { SqlClient } from "effect/sql"
import type { ProjectEventLog } from "../events/ProjectEventLog.ts"
import type { Redis } from "../redis/Redis.ts"
import * as BullMQAdapter from "./BullMQAdapter.ts"
import * as InProcessJobQueue from "./InProcessJobQueue.ts"
import { JobProcessors } from "./JobProcessors.ts"
import { type JobRecord, JobRepo } from "./JobRepo.ts"
import { JobRunner } from "./JobRunner.ts"

export interface EnqueueOptions {
  readonly type: JobType
  readonly projectId: ProjectId | null
  /** Stored as JSON in background_jobs; never sent through Redis. Default {}. */
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
const checked = (options: EnqueueOptions) =>
  Effect.gen(function* () {
    const priority = options.priority ?? 0
    const maxAttempts = options.maxAttempts ?? 3
    if (!Number.isInteger(priority) || priority < 0 || priority > PRIORITY_LIMIT) {
      return yield* Effect.die(
        new Error(`JobQueue.enqueue: priority must be a whole number from 0 to ${PRIORITY_LIMIT}`)
      )
    }
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
      return yield* Effect.die(new Error("JobQueue.enqueue: maxAttempts must be a whole number from 1 to 100"))
    }
    const id = options.jobId ?? (crypto.randomUUID() as JobId)
    return {
      id,
      projectId: options.projectId,
      type: options.type,
      queue: queueForJobType(options.type),
      priority,
      payload: options.payload ?? {},
      createdBy: options.createdBy ?? null,
      maxAttempts
    }
  })

/** The enqueue both layers share; `handOff` gives a queued row to the runner. */
const makeEnqueue =
  (repo: JobRepo["Service"], handOff: (record: JobRecord) => Effect.Effect<void>) =>
  (options: EnqueueOptions): Effect.Effect<Job> =>
    Effect.gen(function* () {
      const input = yield* checked(options)
      const { record, created } = yield* repo.create(input).pipe(Effect.orDie)
      // A job that exists and is still queued is handed off again: if the first hand-off was lost (Redis down after
      // the insert), enqueueing the same id repairs it; BullMQ and the in-process queue both ignore a duplicate.
      if (record.job.status === "queued") yield* handOff(record)
      if (created) yield* Effect.logDebug(`job enqueued on ${record.queue}`)
      return record.job
    }).pipe(
      Effect.annotateLogs({ jobType: options.type }),
      Effect.withSpan("JobQueue.enqueue", { attributes: { jobType: options.type } })
    )

export class JobQueue extends Context.Service<
  JobQueue,
  {
    /** Stores the job (status queued) and schedules it; returns the job as stored. */
    readonly enqueue: (options: EnqueueOptions) => Effect.Effect<Job>
  }
>()("@costline/server/JobQueue") {
  /** Embedded profile with options (concurrency, retry backoff) and the runner (hence the processors) of your choice. */
  static readonly layerInProcessWith = (
    options: InProcessJobQueue.InProcessOptions
  ): Layer.Layer<JobQueue, never, JobRepo | JobRunner> =>
    Layer.effect(
      JobQueue,
      Effect.gen(function* () {
        const repo = yield* JobRepo
        const queue = yield* InProcessJobQueue.make(options)
        return JobQueue.of({ enqueue: makeEnqueue(repo, queue.submit) })
      })
    )

  /**
   * Embedded profile, complete: the built-in processors run in this process on 2 fibers, retries after 1 s, 2 s, 4 s…
   * Resumes the unfinished jobs of the database on start.
   */
  static readonly layerInProcess: Layer.Layer<JobQueue, never, JobRepo | ProjectEventLog | SqlClient.SqlClient> =
    JobQueue.layerInProcessWith({}).pipe(Layer.provide(JobRunner.layer), Layer.provide(JobProcessors.layer))

  /** Production profile, with options (retry backoff). */
  static readonly layerBullMQWith = (options: {
    readonly backoff?: Duration.Input | undefined
  }): Layer.Layer<JobQueue, never, JobRepo | Redis> =>
    Layer.effect(
      JobQueue,
      Effect.gen(function* () {
        const repo = yield* JobRepo
        const producer = yield* BullMQAdapter.makeProducer(options)
        return JobQueue.of({ enqueue: makeEnqueue(repo, producer.add) })
      })
    )

  /** Production profile: BullMQ queues high/default/low with the Redis prefix; @costline/worker runs the jobs. */
  static readonly layerBullMQ: Layer.Layer<JobQueue, never, JobRepo | Redis> = JobQueue.layerBullMQWith({})
}
