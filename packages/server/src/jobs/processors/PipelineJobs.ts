// The pipeline parse → enrich → audit (the upload queues the parse: documents/parseJobId): deterministic job ids (so enqueueing the same work twice finds the first job),
// priorities, and how a follower waits for the job that enqueued it. Owns the order of the pipeline; does NOT own
// running jobs (JobRunner) or what each step does (the processors).
import type { ExportFormatName, Job, JobId, ProjectId, UserId } from "@costline/core"
import { Effect, Option, Schedule } from "effect"
import { JobRepo } from "../JobRepo.ts"
import type { FollowUpJobs } from "./FollowUpJobs.ts"

export const enrichJobId = (projectId: ProjectId, version: number): JobId => `enrich:${projectId}:${version}` as JobId
export const auditJobId = (projectId: ProjectId, version: number): JobId => `audit:${projectId}:${version}` as JobId
export const exportJobId = (projectId: ProjectId, version: number, format: ExportFormatName): JobId =>
  `export:${projectId}:${version}:${format}` as JobId

/**
 * BullMQ's scale, 1 = most urgent. Audits run on the `high` queue and enrichment on `low`, so any audit goes before
 * bulk enrichment; within a queue, what a person asked for and waits on goes before what the pipeline queued.
 */
export const INTERACTIVE_PRIORITY = 1
export const PIPELINE_PRIORITY = 10

type Enqueue = FollowUpJobs["Service"]["enqueue"]

export const enqueueEnrich = (
  enqueue: Enqueue,
  input: { readonly projectId: ProjectId; readonly version: number; readonly after: JobId }
): Effect.Effect<Job> =>
  enqueue({
    type: "enrich_positions",
    projectId: input.projectId,
    jobId: enrichJobId(input.projectId, input.version),
    payload: { version: input.version, after: input.after },
    priority: PIPELINE_PRIORITY
  })

export const enqueueAudit = (
  enqueue: Enqueue,
  input: {
    readonly projectId: ProjectId
    readonly version: number
    /** Set by the pipeline; absent for an audit a person asked for. */
    readonly after?: JobId | undefined
    readonly createdBy?: UserId | null | undefined
  }
): Effect.Effect<Job> =>
  enqueue({
    type: "audit_project",
    projectId: input.projectId,
    jobId: auditJobId(input.projectId, input.version),
    payload: input.after === undefined ? { version: input.version } : { version: input.version, after: input.after },
    priority: input.after === undefined ? INTERACTIVE_PRIORITY : PIPELINE_PRIORITY,
    createdBy: input.createdBy ?? null
  })

/** How long a follower waits for its predecessor to record its end before it goes ahead anyway. */
const PREDECESSOR_WAIT = "10 seconds"

/**
 * A follower is enqueued by its predecessor's last step, so it may start while the predecessor is still recording its
 * completion; waiting for that keeps the project's events in pipeline order (JobCompleted of parse before enrich's
 * first progress). The follower's own work does not depend on it (every processor re-reads what it needs), so after
 * the wait, or when the predecessor is gone, it goes ahead.
 */
export const awaitPredecessor = (after: string | undefined): Effect.Effect<void, never, JobRepo> =>
  after === undefined
    ? Effect.void
    : Effect.gen(function* () {
        const repo = yield* JobRepo
        yield* repo.find(after as JobId).pipe(
          Effect.orElseSucceed(() => Option.none<Job>()),
          Effect.flatMap((job) =>
            Option.isSome(job) && job.value.status === "running" ? Effect.fail("running" as const) : Effect.void
          ),
          Effect.retry(Schedule.spaced("20 millis")),
          Effect.timeoutOrElse({ duration: PREDECESSOR_WAIT, orElse: () => Effect.void }),
          Effect.ignore
        )
      })
