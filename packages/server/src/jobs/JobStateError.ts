// Why JobQueue refused to cancel or retry a job: it does not exist, or its status does not allow the operation.
// The API maps these to 404 and 409 (after its own access check).
import { JobStatus } from "@costline/core"
import { Schema } from "effect"

export class JobNotFound extends Schema.TaggedError<JobNotFound>()("JobNotFound", {
  jobId: Schema.String,
  message: Schema.String
}) {}

export class JobStateConflict extends Schema.TaggedError<JobStateConflict>()("JobStateConflict", {
  jobId: Schema.String,
  operation: Schema.Literals(["cancel", "retry"]),
  status: JobStatus,
  message: Schema.String
}) {}

export const jobNotFound = (jobId: string) => new JobNotFound({ jobId, message: `job ${jobId} does not exist` })

export const cannotCancel = (jobId: string, status: JobStatus) =>
  new JobStateConflict({
    jobId,
    operation: "cancel",
    status,
    message: `job ${jobId} is already ${status}; only a queued or running job can be cancelled`
  })

export const cannotRetry = (jobId: string, status: JobStatus) =>
  new JobStateConflict({
    jobId,
    operation: "retry",
    status,
    message:
      status === "completed"
        ? `job ${jobId} completed; only a failed or cancelled job can be retried (start the work again instead)`
        : `job ${jobId} is ${status}; only a failed or cancelled job can be retried (cancel it first, or wait for it)`
  })
