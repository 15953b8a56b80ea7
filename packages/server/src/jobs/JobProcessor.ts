// What a job processor is: an Effect function from the job's context to a JSON result, or a typed JobFailure.
// Processors do not know which runner (BullMQ worker or the in-process queue) calls them, nor how often.
import type { Job } from "@costline/core"
import type { Cause, Effect } from "effect"
import type { JobFate } from "./AttemptEnd.ts"
import type { JobFailure } from "./JobFailure.ts"

export interface ProgressUpdate {
  /** 0–1; values outside are clamped. */
  readonly progress: number
  readonly message: string
  /** 1-based step number; keeps the previous value when omitted. */
  readonly step?: number | undefined
  readonly totalSteps?: number | undefined
}

export interface JobContext {
  /** The job as it is now: status running, attempts already counting this attempt. */
  readonly job: Job
  /** The payload given to `JobQueue.enqueue`, as stored (JSON); processors decode it with their own schema. */
  readonly payload: unknown
  /** Writes the progress to the job's row and, for a project job, journals a JobProgress event. */
  readonly reportProgress: (update: ProgressUpdate) => Effect.Effect<void>
  /**
   * What becomes of the job should this attempt end now with `cause`: queued again (a retry, or resumed after a
   * shutdown), lost (another worker owns or ended it), failed for good, or cancelled. A processor that keeps state of
   * its own beside the job settles it by this, in its finalizer, with the cause it is ending with. (A cancel or time
   * limit that lands while the finalizer runs adds an interrupt to that cause but keeps its failure, which decides.)
   */
  readonly fateOf: (cause: Cause.Cause<JobFailure>) => JobFate
}

/**
 * A processor must be idempotent: after a crash or a lost lock the same job may run again from the start. Its result is
 * stored as JSON, so it should be small (counts, totals, ids), never a whole budget.
 */
export type JobProcessor = (context: JobContext) => Effect.Effect<unknown, JobFailure>
