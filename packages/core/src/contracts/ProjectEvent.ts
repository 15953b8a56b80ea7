// The realtime events of one project, as journaled in project_events and streamed to subscribers with a gap-free seq.
import { Schema } from "effect"
import { BudgetVersion } from "./BudgetVersion.ts"
import { JobId, ProjectId } from "./Ids.ts"
import { Job } from "./Job.ts"
import { Project } from "./Project.ts"

export const JobProgress = Schema.TaggedStruct("JobProgress", {
  jobId: JobId,
  progress: Schema.Number,
  message: Schema.String,
  step: Schema.Number,
  totalSteps: Schema.Number,
  /**
   * Seconds until the job is expected to finish, estimated from its progress rate so far; null while there is no
   * estimate yet (no progress). Absent on events journaled before it existed.
   */
  eta: Schema.optionalKey(Schema.NullOr(Schema.Number))
})

export const JobCompleted = Schema.TaggedStruct("JobCompleted", { job: Job })
export const JobFailed = Schema.TaggedStruct("JobFailed", { job: Job })
/** The job was cancelled (before it started, or interrupted at a step); `job.status` is "cancelled". */
export const JobCancelled = Schema.TaggedStruct("JobCancelled", { job: Job })

/** The project resource changed (name, counts, current version…); carries the fields every member may see. */
export const ProjectUpdated = Schema.TaggedStruct("ProjectUpdated", {
  project: Project.mapFields(({ role: _role, ...rest }) => rest)
})

/** A new budget version was committed (an import, an edit, a recalculation or a restore). */
export const VersionCreated = Schema.TaggedStruct("VersionCreated", { version: BudgetVersion })

export const ProjectEventBody = Schema.Union([
  JobProgress,
  JobCompleted,
  JobFailed,
  JobCancelled,
  ProjectUpdated,
  VersionCreated
])
export type ProjectEventBody = typeof ProjectEventBody.Type

export const ProjectEvent = Schema.TaggedStruct("ProjectEvent", {
  projectId: ProjectId,
  /** Gap-free per project: 1, 2, 3… A subscriber that saw seq n resumes with afterSeq = n. */
  seq: Schema.Number,
  at: Schema.String,
  event: ProjectEventBody
})
export type ProjectEvent = typeof ProjectEvent.Type

/** Sent first on a subscription when the requested gap is older than the journal keeps: reload state, then go on. */
export const ResyncRequired = Schema.TaggedStruct("ResyncRequired", {
  projectId: ProjectId,
  /** The oldest seq still in the journal; the events that follow start there. */
  fromSeq: Schema.Number,
  message: Schema.String
})
export type ResyncRequired = typeof ResyncRequired.Type

/** What a project subscription streams. */
export const SubscriptionItem = Schema.Union([ProjectEvent, ResyncRequired])
export type SubscriptionItem = typeof SubscriptionItem.Type
