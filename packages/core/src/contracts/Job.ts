// Background jobs as the API shows them; the background_jobs table mirrors every job in this shape.
import { Schema } from "effect"
import { JobId, ProjectId } from "./Ids.ts"

export const JobType = Schema.Literals([
  "parse_document",
  "enrich_positions",
  "audit_project",
  "export_budget",
  "recalculate_budget",
  "analytics_refresh",
  "cleanup"
])
export type JobType = typeof JobType.Type

export const JobStatus = Schema.Literals(["queued", "running", "completed", "failed", "cancelled"])
export type JobStatus = typeof JobStatus.Type

/** Where a job runs; higher priority queues are drained first. */
export const JobQueueName = Schema.Literals(["high", "default", "low"])
export type JobQueueName = typeof JobQueueName.Type

export const JobError = Schema.Struct({
  message: Schema.String,
  /** Whether another attempt may succeed (a lost connection) or not (a corrupt file). */
  retryable: Schema.Boolean
})
export type JobError = typeof JobError.Type

export const Job = Schema.Struct({
  id: JobId,
  projectId: Schema.NullOr(ProjectId),
  type: JobType,
  status: JobStatus,
  /** 0–1. */
  progress: Schema.Number,
  message: Schema.String,
  step: Schema.Number,
  totalSteps: Schema.Number,
  attempts: Schema.Number,
  maxAttempts: Schema.Number,
  result: Schema.NullOr(Schema.Unknown),
  error: Schema.NullOr(JobError),
  createdAt: Schema.String,
  startedAt: Schema.NullOr(Schema.String),
  finishedAt: Schema.NullOr(Schema.String)
})
export type Job = typeof Job.Type

export const JobAccepted = Schema.Struct({ job: Job })

/** `GET /api/v1/projects/:id/jobs`: optional status filter, newest first, paginated. */
export const ListJobsQuery = Schema.Struct({
  status: Schema.optionalKey(JobStatus),
  limit: Schema.optionalKey(
    Schema.FiniteFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 100 }))
  ),
  offset: Schema.optionalKey(Schema.FiniteFromString.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)))
})

export const JobPage = Schema.Struct({
  items: Schema.Array(Job),
  total: Schema.Number,
  limit: Schema.Number,
  offset: Schema.Number
})
export type JobPage = typeof JobPage.Type
