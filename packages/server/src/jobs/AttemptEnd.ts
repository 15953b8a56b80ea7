// What an attempt's end makes of its job: cancelled, lost to another worker, queued again, or failed for good. One rule
// for the runner, which records it, and for processors that keep state of their own beside the job (a document's parse
// status): a processor that asks (JobContext.fateOf) is told the end the runner then records, so that a document
// does not go back to pending while its job has failed.
import { Cause, Duration, Option } from "effect"
import type { JobFailure } from "./JobFailure.ts"
import type { JobRecord, StoredJobError } from "./JobRecord.ts"
import { timeoutVariable } from "./JobTimeouts.ts"

/** Why the runner stopped an attempt from outside its processor. */
export type StopReason = "cancelled" | "lost" | "timeout" | "shutdown"

/**
 * How a job this attempt lost was ended by someone else while the attempt ran (read back from its row): a worker that
 * found the attempt's worker gone fails it for good on its last attempt, or ends it cancelled when its cancel was asked
 * for. Unset when another attempt took the job over: that attempt decides what becomes of it.
 */
export type EndedElsewhere = "failed" | "cancelled"

/** How another worker ended the job an attempt lost, read from its row: only an end under the attempt's own fence. */
export const endedElsewhereOf = (status: string | null | undefined, sameFence: boolean): EndedElsewhere | undefined =>
  sameFence && (status === "failed" || status === "cancelled") ? status : undefined

export type AttemptEnd =
  /** The job ends cancelled. */
  | { readonly _tag: "Cancelled" }
  /**
   * The job is no longer this attempt's: its lock expired and another worker took it over, or ended it (cancelled, or
   * failed as lost), which `endedAs` then says. Nothing is recorded.
   */
  | { readonly _tag: "Lost"; readonly endedAs: EndedElsewhere | undefined }
  /** Stopped by a shutdown: back to the queue without counting the attempt, for another process to resume. */
  | { readonly _tag: "Released" }
  /** Failed for now with attempts left: queued again after a backoff. */
  | { readonly _tag: "Retry"; readonly error: StoredJobError }
  | { readonly _tag: "Fail"; readonly error: StoredJobError }

/**
 * What a processor is told of its job should the attempt end now (JobContext.fateOf). "queued-again" may still end
 * cancelled, when a cancel request reached the job's row but not the attempt. "lost": another attempt owns the job
 * now; a job another worker ended while this attempt ran is told as that end (failed or cancelled).
 */
export type JobFate = "queued-again" | "lost" | "failed" | "cancelled"

// A defect is a bug or an unexpected error from a library; like a thrown error in BullMQ it is retried while attempts
// are left. Only its message is kept: stack traces and SQL never reach the job's error, which users see.
const defectError = (defect: unknown): StoredJobError => ({
  message: defect instanceof Error && defect.message !== "" ? defect.message : "the job failed unexpectedly",
  retryable: true
})

const failureError = (failure: JobFailure): StoredJobError => ({
  message: failure.message,
  retryable: failure._tag === "RetryableJobFailure"
})

/** A first timeout may be bad luck (a busy database); a second one in a row means the job cannot finish in time. */
const timeoutError = (record: JobRecord, limit: Duration.Duration): StoredJobError => ({
  message: `the job ran longer than its limit of ${Duration.format(limit)} and was stopped; ${
    record.errorCode === "timeout" ? "it timed out twice, so it is not retried" : "it will be tried once more"
  } (the limit is ${timeoutVariable(record.job.type)})`,
  retryable: record.errorCode !== "timeout",
  code: "timeout"
})

/**
 * The end of the attempt `record` (the job as this attempt started it) that failed with `cause`; `stopReason` is set
 * when the runner stopped it (with `endedElsewhere` when it stopped it as lost), `limit` is its job type's time limit.
 */
export const attemptEnd = (
  record: JobRecord,
  limit: Duration.Duration,
  stopReason: StopReason | undefined,
  cause: Cause.Cause<JobFailure>,
  endedElsewhere?: EndedElsewhere | undefined
): AttemptEnd => {
  let error: StoredJobError
  if (Cause.hasInterruptsOnly(cause)) {
    switch (stopReason) {
      case "cancelled":
        return { _tag: "Cancelled" }
      case "lost":
        return { _tag: "Lost", endedAs: endedElsewhere }
      case "shutdown":
        return { _tag: "Released" }
      case "timeout":
        error = timeoutError(record, limit)
        break
      default:
        error = { message: "the job was interrupted unexpectedly", retryable: true }
    }
  } else {
    const failure = Cause.findErrorOption(cause)
    error = Option.isSome(failure) ? failureError(failure.value) : defectError(Cause.squash(cause))
  }
  return error.retryable && record.job.attempts < record.job.maxAttempts
    ? { _tag: "Retry", error }
    : { _tag: "Fail", error }
}

export const jobFate = (end: AttemptEnd): JobFate => {
  switch (end._tag) {
    case "Cancelled":
      return "cancelled"
    case "Lost":
      return end.endedAs ?? "lost"
    case "Released":
    case "Retry":
      return "queued-again"
    case "Fail":
      return "failed"
  }
}
