// Runs one job by id with its processor: marks it running, relays its progress, records how it ended and journals the
// matching project events. Owns the attempt's bookkeeping and the decision "retry or give up"; does NOT own when the
// next attempt happens (the in-process queue or BullMQ, through `JobRunOutcome`).
import type { Job, JobError, JobId, ProjectEventBody } from "@costline/core"
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import { ProjectEventLog } from "../events/ProjectEventLog.ts"
import { type JobFailure, PermanentJobFailure } from "./JobFailure.ts"
import type { JobContext, ProgressUpdate } from "./JobProcessor.ts"
import { JobProcessors } from "./JobProcessors.ts"
import { JobRepo } from "./JobRepo.ts"

/** What the runner tells whoever schedules jobs; the BullMQ adapter maps it to return / retry / UnrecoverableError. */
export type JobRunOutcome =
  | { readonly _tag: "Completed"; readonly job: Job }
  /** The attempt failed transiently and attempts are left: the job is queued again, `job.error` says why. */
  | { readonly _tag: "RetryLater"; readonly job: Job }
  /** The job failed for good (permanent failure, or the last attempt failed). */
  | { readonly _tag: "Failed"; readonly job: Job }
  /** Nothing ran: the job is unknown or already finished (a duplicate delivery). */
  | { readonly _tag: "Skipped"; readonly jobId: JobId; readonly reason: string }

const clamp = (value: number, min: number, max: number): number =>
  Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min

const wholeNumber = (value: number | undefined, fallback: number): number =>
  value === undefined || !Number.isFinite(value) ? fallback : Math.max(0, Math.trunc(value))

// A defect is a bug or an unexpected error from a library; like a thrown error in BullMQ it is retried while attempts
// are left. Only its message is kept: stack traces and SQL never reach the job's error, which users see.
const defectError = (defect: unknown): JobError => ({
  message: defect instanceof Error && defect.message !== "" ? defect.message : "the job failed unexpectedly",
  retryable: true
})

const failureError = (failure: JobFailure): JobError => ({
  message: failure.message,
  retryable: failure._tag === "RetryableJobFailure"
})

export class JobRunner extends Context.Service<
  JobRunner,
  {
    /**
     * Runs one attempt of the job. Fails only when the database does not answer while the runner records the attempt;
     * the caller should then try again later (the row is still queued or running).
     */
    readonly run: (jobId: JobId) => Effect.Effect<JobRunOutcome, SqlError>
  }
>()("@costline/server/JobRunner") {
  static readonly layer: Layer.Layer<
    JobRunner,
    never,
    JobRepo | JobProcessors | ProjectEventLog | SqlClient.SqlClient
  > = Layer.effect(
    JobRunner,
    Effect.gen(function* () {
      const repo = yield* JobRepo
      const processors = yield* JobProcessors
      const events = yield* ProjectEventLog
      const sql = yield* SqlClient.SqlClient

      const journal = (job: Job, body: ProjectEventBody) =>
        job.projectId === null ? Effect.void : Effect.asVoid(events.append(job.projectId, body))

      // A status change and its event commit together: a crash between them would otherwise leave a finished job
      // whose JobCompleted / JobFailed never reaches the journal (and a rerun skips finished jobs).
      const withEvent = (change: Effect.Effect<Job, SqlError>, body: (job: Job) => ProjectEventBody) =>
        sql.withTransaction(Effect.tap(change, (job) => journal(job, body(job))))

      const makeContext = (started: Job, payload: unknown): JobContext => {
        let current = { step: started.step, totalSteps: started.totalSteps }
        return {
          job: started,
          payload,
          reportProgress: (update: ProgressUpdate) =>
            Effect.gen(function* () {
              const step = wholeNumber(update.step, current.step)
              // A processor that does not know its step count yet still gets step <= totalSteps.
              const totalSteps = Math.max(wholeNumber(update.totalSteps, current.totalSteps), step)
              const row = { progress: clamp(update.progress, 0, 1), message: update.message, step, totalSteps }
              current = { step: row.step, totalSteps: row.totalSteps }
              yield* withEvent(repo.reportProgress(started.id, row), (job) => ({
                _tag: "JobProgress",
                jobId: job.id,
                ...row
              })).pipe(Effect.orDie)
            }).pipe(Effect.withSpan("JobRunner.reportProgress"))
        }
      }

      const attempt = Effect.fn("JobRunner.attempt")(function* (jobId: JobId) {
        const started = yield* repo.markRunning(jobId)
        if (Option.isNone(started)) {
          const existing = yield* repo.find(jobId)
          const reason = Option.isNone(existing) ? "no such job" : `already ${existing.value.status}`
          yield* Effect.logDebug(`job skipped: ${reason}`)
          return { _tag: "Skipped", jobId, reason } as const
        }
        const { job, payload } = started.value
        return yield* finish(job, payload).pipe(
          // Stopped by a shutdown (not by its own failure): queued again, so the next process resumes it.
          Effect.onInterrupt(() =>
            repo.release(jobId).pipe(
              Effect.tap(() => Effect.logInfo("job interrupted by shutdown; released to the queue")),
              Effect.ignore
            )
          )
        )
      })

      const finish = Effect.fnUntraced(function* (job: Job, payload: unknown) {
        const jobId = job.id
        yield* Effect.annotateCurrentSpan({ jobType: job.type, attempt: job.attempts })
        yield* Effect.logInfo(`job started (attempt ${job.attempts} of ${job.maxAttempts})`)

        const processor = processors.get(job.type)
        const ended:
          | { readonly ok: true; readonly result: unknown }
          | { readonly ok: false; readonly error: JobError } = yield* (
          Option.isNone(processor)
            ? Effect.fail(
                new PermanentJobFailure({
                  message: `no processor is registered for job type "${job.type}" in this build; known types: ${processors.types.join(", ") || "none"}`
                })
              )
            : processor.value(makeContext(job, payload))
        ).pipe(
          // The result is stored as jsonb; a BigInt or a cycle would otherwise surface later as a database defect.
          Effect.tap((result) =>
            Effect.try({
              try: () => JSON.stringify(result ?? null),
              catch: () =>
                new PermanentJobFailure({ message: `job type "${job.type}" returned a result that is not JSON` })
            })
          ),
          Effect.map((result) => ({ ok: true as const, result })),
          Effect.catch((failure) => Effect.succeed({ ok: false as const, error: failureError(failure) })),
          Effect.catchDefect((defect) =>
            Effect.logError("job processor died", defect).pipe(
              Effect.as({ ok: false as const, error: defectError(defect) })
            )
          )
        )

        if (ended.ok) {
          const completed = yield* withEvent(repo.complete(jobId, ended.result), (job) => ({
            _tag: "JobCompleted",
            job
          }))
          yield* Effect.logInfo("job completed")
          return { _tag: "Completed", job: completed } as const
        }
        if (ended.error.retryable && job.attempts < job.maxAttempts) {
          const queued = yield* withEvent(repo.requeue(jobId, ended.error), (queued) => ({
            _tag: "JobProgress",
            jobId,
            progress: queued.progress,
            message: `attempt ${job.attempts} of ${job.maxAttempts} failed, retrying: ${ended.error.message}`,
            step: queued.step,
            totalSteps: queued.totalSteps
          }))
          yield* Effect.logWarning(`job attempt failed, will retry: ${ended.error.message}`)
          return { _tag: "RetryLater", job: queued } as const
        }
        const failed = yield* withEvent(repo.fail(jobId, ended.error), (job) => ({ _tag: "JobFailed", job }))
        yield* Effect.logWarning(`job failed: ${ended.error.message}`)
        return { _tag: "Failed", job: failed } as const
      })

      return JobRunner.of({
        run: (jobId) => attempt(jobId).pipe(Effect.annotateLogs({ jobId }))
      })
    })
  )
}
