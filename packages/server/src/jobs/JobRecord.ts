// How a background_jobs row reads: the `JobRecord` the runner works with (the public `Job` plus what only the runner
// needs), the columns every read selects, and the stored form of a job's error. Only JobRepo reads and writes rows.
import type { Job, JobError, JobId, JobQueueName, JobStatus, JobType, ProjectId } from "@costline/core"

/** A row with what the runner needs beyond the public `Job`. */
export interface JobRecord {
  readonly job: Job
  readonly queue: JobQueueName
  readonly priority: number
  readonly payload: unknown
  /** A cancel was asked for while the job ran; the runner ends it as cancelled. */
  readonly cancelRequested: boolean
  /** The machine-readable kind of the last attempt's error ("timeout"), not part of the public error. */
  readonly errorCode: string | null
  /** The BullMQ pack that carries the job (BullMQJobs); null when it travels alone. */
  readonly handoff: string | null
  /**
   * The current attempt's fencing number: the row's own attempt count, which never goes back, where `job.attempts`
   * leaves out the uncounted ones (before the last retry, handed back at a shutdown). Every write of an attempt
   * names it.
   */
  readonly fence: number
}

/** A job error as stored: the public part plus an optional code the runner reads back. */
export interface StoredJobError extends JobError {
  readonly code?: string | undefined
}

export interface JobRow {
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
  readonly fence: number
  readonly payload: unknown
  readonly result: unknown
  readonly error: unknown
  readonly error_code: string | null
  readonly cancel_requested: boolean
  readonly handoff: string | null
  readonly created_at: Date | string
  readonly started_at: Date | string | null
  readonly finished_at: Date | string | null
}

/** An ISO 8601 UTC timestamp; the job columns arrive as one already (see `isoText`). */
export const iso = (value: Date | string): string =>
  value instanceof Date ? value.toISOString() : value.endsWith("Z") ? value : new Date(value).toISOString()

/**
 * A timestamp column read as ISO 8601 UTC text with milliseconds, what `Job` carries: PostgreSQL formats it once
 * instead of the driver building a Date that is then formatted again (measurable at thousands of jobs a second).
 * The output keeps the column's name, so an ORDER BY on these columns names the table (`background_jobs.created_at`)
 * to sort by the timestamp, not by its text.
 */
export const isoText = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

// jsonb columns arrive parsed by the pg driver (a JSON string value arrives as a JS string, so no re-parsing here).
const toError = (error: unknown): JobError | null => {
  if (error === null || typeof error !== "object") return null
  const fields = error as { readonly message?: unknown; readonly retryable?: unknown }
  return { message: String(fields.message ?? ""), retryable: fields.retryable === true }
}

// The table is written only through JobRepo, so its text columns hold the contract's literals and ids; the casts
// below restate that rather than re-validating every row on every read.
export const toRecord = (row: JobRow): JobRecord => ({
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
  payload: row.payload,
  cancelRequested: row.cancel_requested === true,
  errorCode: row.error_code ?? null,
  handoff: row.handoff ?? null,
  fence: Number(row.fence)
})

// attempts and max_attempts as users see them, without the uncounted attempts; the row's own count is the fence.
export const columns = `id, project_id, type, queue, priority, status, progress, message, step, total_steps,
  attempts - uncounted_attempts AS attempts, max_attempts - uncounted_attempts AS max_attempts,
  attempts AS fence, payload, result, error, error->>'code' AS error_code, cancel_requested, handoff,
  ${isoText("created_at")} AS created_at, ${isoText("started_at")} AS started_at,
  ${isoText("finished_at")} AS finished_at`
