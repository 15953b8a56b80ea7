// The background_jobs table: one row per job, whichever runner executes it; rows read as the `Job` contract.
// Owns the status transitions (queued → running → completed | failed, running → queued for a retry); does NOT own
// deciding when a job runs (JobQueue) or what it does (JobProcessors).
import type { Job, JobError, JobId, JobQueueName, JobStatus, JobType, ProjectId, UserId } from "@costline/core"
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"

/** A row with what the runner needs beyond the public `Job`. */
export interface JobRecord {
  readonly job: Job
  readonly queue: JobQueueName
  readonly priority: number
  readonly payload: unknown
}

export interface CreateJob {
  readonly id: JobId
  readonly projectId: ProjectId | null
  readonly type: JobType
  readonly queue: JobQueueName
  readonly priority: number
  readonly payload: unknown
  readonly createdBy: UserId | null
  readonly maxAttempts: number
}

export interface ProgressRow {
  readonly progress: number
  readonly message: string
  readonly step: number
  readonly totalSteps: number
}

interface Row {
  readonly id: string
  readonly project_id: string | null
  readonly type: string
  readonly queue: string
  readonly priority: number
  readonly status: string
  readonly progress: number
  readonly message: string
  readonly step: number
  readonly total_steps: number
  readonly attempts: number
  readonly max_attempts: number
  readonly payload: unknown
  readonly result: unknown
  readonly error: unknown
  readonly created_at: Date | string
  readonly started_at: Date | string | null
  readonly finished_at: Date | string | null
}

const iso = (value: Date | string): string =>
  value instanceof Date ? value.toISOString() : new Date(value).toISOString()

// jsonb columns arrive parsed by the pg driver (a JSON string value arrives as a JS string, so no re-parsing here).
const toError = (error: unknown): JobError | null => {
  if (error === null || typeof error !== "object") return null
  const fields = error as { readonly message?: unknown; readonly retryable?: unknown }
  return { message: String(fields.message ?? ""), retryable: fields.retryable === true }
}

// The table is written only through this module, so its text columns hold the contract's literals and ids; the casts
// below restate that rather than re-validating every row on every read.
const toRecord = (row: Row): JobRecord => ({
  job: {
    id: row.id as JobId,
    projectId: row.project_id as ProjectId | null,
    type: row.type as JobType,
    status: row.status as JobStatus,
    progress: Number(row.progress),
    message: row.message,
    step: Number(row.step),
    totalSteps: Number(row.total_steps),
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    result: row.result ?? null,
    error: toError(row.error),
    createdAt: iso(row.created_at),
    startedAt: row.started_at === null ? null : iso(row.started_at),
    finishedAt: row.finished_at === null ? null : iso(row.finished_at)
  },
  queue: row.queue as JobQueueName,
  priority: Number(row.priority),
  payload: row.payload
})

const columns = `id, project_id, type, queue, priority, status, progress, message, step, total_steps, attempts,
  max_attempts, payload, result, error, created_at, started_at, finished_at`

export class JobRepo extends Context.Service<
  JobRepo,
  {
    /** Inserts a queued job; when the id exists already, returns that row untouched (`created: false`). */
    readonly create: (
      input: CreateJob
    ) => Effect.Effect<{ readonly record: JobRecord; readonly created: boolean }, SqlError>
    readonly find: (id: JobId) => Effect.Effect<Option.Option<Job>, SqlError>
    readonly findRecord: (id: JobId) => Effect.Effect<Option.Option<JobRecord>, SqlError>
    /**
     * Starts an attempt: status running, attempts + 1, started_at now. None when the job is missing or already
     * finished (completed, failed, cancelled), so a duplicate delivery never runs a finished job again.
     */
    readonly markRunning: (id: JobId) => Effect.Effect<Option.Option<JobRecord>, SqlError>
    readonly reportProgress: (id: JobId, progress: ProgressRow) => Effect.Effect<Job, SqlError>
    readonly complete: (id: JobId, result: unknown) => Effect.Effect<Job, SqlError>
    /** Final failure. */
    readonly fail: (id: JobId, error: JobError) => Effect.Effect<Job, SqlError>
    /** A failed attempt that will be retried: back to queued, the error kept so users see why it is late. */
    readonly requeue: (id: JobId, error: JobError) => Effect.Effect<Job, SqlError>
    /**
     * An attempt cut off by a shutdown: back to queued, and the attempt does not count (the job did not fail). A job
     * that is no longer running is left alone.
     */
    readonly release: (id: JobId) => Effect.Effect<Option.Option<Job>, SqlError>
    /** The project's jobs, newest first. */
    readonly listByProject: (projectId: ProjectId, limit?: number) => Effect.Effect<ReadonlyArray<Job>, SqlError>
    /** Jobs still queued or running, in the order a runner should take them (priority, then age). */
    readonly listUnfinished: Effect.Effect<ReadonlyArray<JobRecord>, SqlError>
  }
>()("@costline/server/JobRepo") {
  static readonly layer = Layer.effect(
    JobRepo,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const select = sql.literal(columns)

      const one = (rows: ReadonlyArray<Row>, id: JobId, operation: string): Effect.Effect<Job> => {
        const row = rows[0]
        return row === undefined
          ? Effect.die(new Error(`JobRepo.${operation}: job ${id} is not running (missing or already finished)`))
          : Effect.succeed(toRecord(row).job)
      }

      const findRecord = Effect.fn("JobRepo.findRecord")(function* (id: JobId) {
        const rows = yield* sql<Row>`SELECT ${select} FROM background_jobs WHERE id = ${id}`
        return Option.map(Option.fromNullishOr(rows[0]), toRecord)
      })

      const create = Effect.fn("JobRepo.create")(function* (input: CreateJob) {
        const inserted = yield* sql<Row>`
          INSERT INTO background_jobs (id, project_id, type, queue, priority, max_attempts, payload, created_by)
          VALUES (${input.id}, ${input.projectId}, ${input.type}, ${input.queue}, ${input.priority},
            ${input.maxAttempts}, ${JSON.stringify(input.payload ?? {})}::jsonb, ${input.createdBy})
          ON CONFLICT (id) DO NOTHING
          RETURNING ${select}`
        const row = inserted[0]
        if (row !== undefined) return { record: toRecord(row), created: true }
        const existing = yield* findRecord(input.id)
        // Only a concurrent delete between the two statements lands here.
        if (Option.isNone(existing)) return yield* Effect.die(new Error(`job ${input.id} vanished while being created`))
        return { record: existing.value, created: false }
      })

      const markRunning = Effect.fn("JobRepo.markRunning")(function* (id: JobId) {
        const rows = yield* sql<Row>`
          UPDATE background_jobs
          SET status = 'running', attempts = attempts + 1, started_at = now(), finished_at = NULL, updated_at = now()
          WHERE id = ${id} AND status IN ('queued', 'running')
          RETURNING ${select}`
        return Option.map(Option.fromNullishOr(rows[0]), toRecord)
      })

      const reportProgress = Effect.fn("JobRepo.reportProgress")(function* (id: JobId, update: ProgressRow) {
        const rows = yield* sql<Row>`
          UPDATE background_jobs
          SET progress = ${update.progress}, message = ${update.message}, step = ${update.step},
            total_steps = ${update.totalSteps}, updated_at = now()
          WHERE id = ${id} AND status = 'running'
          RETURNING ${select}`
        return yield* one(rows, id, "reportProgress")
      })

      const complete = Effect.fn("JobRepo.complete")(function* (id: JobId, result: unknown) {
        const rows = yield* sql<Row>`
          UPDATE background_jobs
          SET status = 'completed', progress = 1, step = GREATEST(step, total_steps), message = 'completed',
            result = ${JSON.stringify(result ?? null)}::jsonb, error = NULL, finished_at = now(), updated_at = now()
          WHERE id = ${id} AND status = 'running'
          RETURNING ${select}`
        return yield* one(rows, id, "complete")
      })

      const fail = Effect.fn("JobRepo.fail")(function* (id: JobId, error: JobError) {
        const rows = yield* sql<Row>`
          UPDATE background_jobs
          SET status = 'failed', message = ${error.message}, error = ${JSON.stringify(error)}::jsonb,
            finished_at = now(), updated_at = now()
          WHERE id = ${id} AND status = 'running'
          RETURNING ${select}`
        return yield* one(rows, id, "fail")
      })

      const requeue = Effect.fn("JobRepo.requeue")(function* (id: JobId, error: JobError) {
        const rows = yield* sql<Row>`
          UPDATE background_jobs
          SET status = 'queued', error = ${JSON.stringify(error)}::jsonb, updated_at = now()
          WHERE id = ${id} AND status = 'running'
          RETURNING ${select}`
        return yield* one(rows, id, "requeue")
      })

      const release = Effect.fn("JobRepo.release")(function* (id: JobId) {
        const rows = yield* sql<Row>`
          UPDATE background_jobs
          SET status = 'queued', attempts = GREATEST(attempts - 1, 0), message = 'interrupted by a shutdown; will resume',
            updated_at = now()
          WHERE id = ${id} AND status = 'running'
          RETURNING ${select}`
        return Option.map(Option.fromNullishOr(rows[0]), (row) => toRecord(row).job)
      })

      const find = (id: JobId) =>
        Effect.map(
          findRecord(id),
          Option.map((record) => record.job)
        )

      const listByProject = Effect.fn("JobRepo.listByProject")(function* (projectId: ProjectId, limit = 100) {
        const rows = yield* sql<Row>`
          SELECT ${select} FROM background_jobs WHERE project_id = ${projectId}
          ORDER BY created_at DESC, id LIMIT ${limit}`
        return rows.map((row) => toRecord(row).job)
      })

      const listUnfinished = sql<Row>`
        SELECT ${select} FROM background_jobs WHERE status IN ('queued', 'running')
        ORDER BY priority, created_at, id`.pipe(
        Effect.map((rows) => rows.map(toRecord)),
        Effect.withSpan("JobRepo.listUnfinished")
      )

      return JobRepo.of({
        create,
        find,
        findRecord,
        markRunning,
        reportProgress,
        complete,
        fail,
        requeue,
        release,
        listByProject,
        listUnfinished
      })
    })
  )
}
