// Schedules the housekeeping jobs: cleanup every hour and analytics_refresh every day. A fiber checks each minute and
// enqueues the job of the current window under a deterministic id (`cleanup:2025-06-01T13`,
// `analytics_refresh:2025-06-01`), so however many processes tick, and however often they restart, each window runs
// once, and its background_jobs row is written first like any other job's.
//
// Why not BullMQ job schedulers: a scheduler adds jobs in Redis without a background_jobs row, and the runner runs
// jobs by their row; the window id gives the same "once per period" with one code path for both profiles.
import type { JobType } from "@costline/core"
import { Clock, Duration, Effect, Layer, Schedule } from "effect"
import { JobQueue } from "../JobQueue.ts"

export interface RecurringJob {
  readonly type: JobType
  /** The window a time falls in, e.g. "2025-06-01T13" for hourly; part of the job id. */
  readonly window: (now: Date) => string
}

export const hourly = (now: Date) => now.toISOString().slice(0, 13)
export const daily = (now: Date) => now.toISOString().slice(0, 10)

export const recurringJobs: ReadonlyArray<RecurringJob> = [
  { type: "cleanup", window: hourly },
  { type: "analytics_refresh", window: daily }
]

export const recurringJobId = (job: RecurringJob, now: Date) => `${job.type}:${job.window(now)}`

/** Enqueues the current window's job of each recurring type (idempotent: an existing id is left as it is). */
export const enqueueDue = (jobs: ReadonlyArray<RecurringJob> = recurringJobs) =>
  Effect.gen(function* () {
    const queue = yield* JobQueue
    const now = new Date(yield* Clock.currentTimeMillis)
    for (const job of jobs) {
      yield* queue.enqueue({
        type: job.type,
        projectId: null,
        jobId: recurringJobId(job, now) as Parameters<typeof queue.enqueue>[0]["jobId"],
        // Housekeeping is cheap to redo next window; one retry covers a blip.
        maxAttempts: 2
      })
    }
  })

/** Ticks in the background for the layer's lifetime; the first tick is at start. */
export const layer = (options: { readonly every?: Duration.Input } = {}): Layer.Layer<never, never, JobQueue> =>
  Layer.effectDiscard(
    enqueueDue().pipe(
      Effect.catchCause((cause) => Effect.logWarning("recurring jobs could not be enqueued", cause)),
      Effect.repeat(Schedule.spaced(Duration.fromInputUnsafe(options.every ?? "1 minute"))),
      Effect.forkScoped,
      Effect.asVoid
    )
  )
