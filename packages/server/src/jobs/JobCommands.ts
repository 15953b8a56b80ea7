// The job operations both transports (HTTP and RPC) expose: cancel, retry and the project's job list, with the same
// access rule as the rest of the API (members only; anyone else gets the 404 of a missing job). Reads come from
// background_jobs only, so they answer whatever state Redis is in.
import {
  Conflict,
  type Job,
  type JobId,
  type JobPage,
  type JobStatus,
  NotFound,
  type ProjectId,
  type UserId
} from "@costline/core"
import { Context, Effect, Layer, Option } from "effect"
import { EDIT_ROLES, ProjectAccess, READ_ROLES } from "../projects/ProjectAccess.ts"
import { JobQueue } from "./JobQueue.ts"
import { JobRepo } from "./JobRepo.ts"
import type { JobStateConflict } from "./JobStateError.ts"

export interface ListJobsRequest {
  readonly status?: JobStatus | undefined
  readonly limit?: number | undefined
  readonly offset?: number | undefined
}

const jobNotFound = (jobId: string) =>
  new NotFound({
    message: `job ${jobId} does not exist or belongs to a project you are not a member of`,
    resource: "job",
    id: jobId
  })

const conflict = (error: JobStateConflict) => new Conflict({ message: error.message, field: "status" })

export class JobCommands extends Context.Service<
  JobCommands,
  {
    /** Cancels a queued or running job of a project the user may edit; 409 once it has finished. */
    readonly cancel: (jobId: JobId, userId: UserId) => Effect.Effect<Job, NotFound | Conflict>
    /** Queues a failed or cancelled job again; 409 for one that is queued, running or completed. */
    readonly retry: (jobId: JobId, userId: UserId) => Effect.Effect<Job, NotFound | Conflict>
    /** The project's jobs, newest first. */
    readonly list: (projectId: ProjectId, userId: UserId, request: ListJobsRequest) => Effect.Effect<JobPage, NotFound>
  }
>()("@costline/server/JobCommands") {
  static readonly layer = Layer.effect(
    JobCommands,
    Effect.gen(function* () {
      const repo = yield* JobRepo
      const queue = yield* JobQueue
      const access = yield* ProjectAccess

      /** The job, when the user has one of `roles` in its project; otherwise the same 404 as a missing job. */
      const authorised = (jobId: JobId, userId: UserId, roles: typeof READ_ROLES) =>
        Effect.gen(function* () {
          const job = yield* Effect.orDie(repo.find(jobId))
          if (Option.isNone(job) || job.value.projectId === null) return yield* jobNotFound(jobId)
          yield* access.require(job.value.projectId, userId, roles).pipe(Effect.mapError(() => jobNotFound(jobId)))
          return job.value
        })

      return JobCommands.of({
        cancel: (jobId, userId) =>
          authorised(jobId, userId, EDIT_ROLES).pipe(
            Effect.andThen(queue.cancel(jobId)),
            Effect.catchTags({
              JobNotFound: () => Effect.fail(jobNotFound(jobId)),
              JobStateConflict: (error) => Effect.fail(conflict(error))
            }),
            Effect.withSpan("JobCommands.cancel")
          ),
        retry: (jobId, userId) =>
          authorised(jobId, userId, EDIT_ROLES).pipe(
            Effect.andThen(queue.retry(jobId)),
            Effect.catchTags({
              JobNotFound: () => Effect.fail(jobNotFound(jobId)),
              JobStateConflict: (error) => Effect.fail(conflict(error))
            }),
            Effect.withSpan("JobCommands.retry")
          ),
        list: (projectId, userId, request) =>
          Effect.gen(function* () {
            yield* access.require(projectId, userId, READ_ROLES)
            const limit = request.limit ?? 20
            const offset = request.offset ?? 0
            const [items, total] = yield* Effect.all(
              [
                repo.listByProject(projectId, { status: request.status, limit, offset }),
                repo.countByProject(projectId, request.status)
              ],
              { concurrency: 2 }
            ).pipe(Effect.orDie)
            return { items, total, limit, offset }
          }).pipe(Effect.withSpan("JobCommands.list"))
      })
    })
  )
}
