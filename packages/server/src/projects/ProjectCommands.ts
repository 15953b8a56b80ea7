// The project operations both transports (HTTP and RPC) expose: authorisation first, then the repository for reads
// and the project's actor for commands and subscriptions.
import {
  type CreateProjectPayload,
  type Job,
  type JobId,
  NotFound,
  type Project,
  type ProjectId,
  type ProjectPage,
  type SubscriptionItem,
  type UserId
} from "@costline/core"
import { Context, Effect, Layer, Option, Stream } from "effect"
import { ProjectActor } from "../actors/ProjectActor.ts"
import { JobRepo } from "../jobs/JobRepo.ts"
import { EDIT_ROLES, ProjectAccess, READ_ROLES } from "./ProjectAccess.ts"
import { ProjectRepo } from "./ProjectRepo.ts"

export class ProjectCommands extends Context.Service<
  ProjectCommands,
  {
    readonly create: (userId: UserId, payload: CreateProjectPayload) => Effect.Effect<Project>
    readonly list: (
      userId: UserId,
      page: { readonly limit: number; readonly offset: number }
    ) => Effect.Effect<ProjectPage>
    readonly get: (projectId: ProjectId, userId: UserId) => Effect.Effect<Project, NotFound>
    readonly recalculate: (projectId: ProjectId, userId: UserId) => Effect.Effect<Job, NotFound>
    readonly getJob: (jobId: JobId, userId: UserId) => Effect.Effect<Job, NotFound>
    readonly subscribe: (
      projectId: ProjectId,
      userId: UserId,
      afterSeq: number | undefined
    ) => Stream.Stream<SubscriptionItem, NotFound>
  }
>()("@costline/server/ProjectCommands") {
  static readonly layer = Layer.effect(
    ProjectCommands,
    Effect.gen(function* () {
      const repo = yield* ProjectRepo
      const access = yield* ProjectAccess
      const jobs = yield* JobRepo
      const actorFor = yield* ProjectActor.client

      const jobNotFound = (jobId: string) =>
        new NotFound({
          message: `job ${jobId} does not exist or belongs to a project you are not a member of`,
          resource: "job",
          id: jobId
        })

      return ProjectCommands.of({
        create: (userId, payload) => repo.create(userId, payload),
        list: (userId, page) => Effect.map(repo.listForMember(userId, page), (found) => ({ ...found, ...page })),
        get: (projectId, userId) => access.require(projectId, userId, READ_ROLES),
        recalculate: (projectId, userId) =>
          access
            .require(projectId, userId, EDIT_ROLES)
            // Cluster delivery errors are infrastructure failures, not answers the caller can act on.
            .pipe(Effect.andThen(Effect.orDie(actorFor(projectId).Recalculate({ requestedBy: userId })))),
        getJob: (jobId, userId) =>
          Effect.gen(function* () {
            const job = yield* Effect.orDie(jobs.find(jobId))
            if (Option.isNone(job)) return yield* jobNotFound(jobId)
            const projectId = job.value.projectId
            if (projectId === null) return yield* jobNotFound(jobId)
            yield* access.require(projectId, userId, READ_ROLES).pipe(Effect.mapError(() => jobNotFound(jobId)))
            return job.value
          }),
        subscribe: (projectId, userId, afterSeq) =>
          Stream.unwrap(
            Effect.map(access.require(projectId, userId, READ_ROLES), () =>
              actorFor(projectId)
                .Subscribe(afterSeq === undefined ? {} : { afterSeq })
                .pipe(Stream.orDie)
            )
          )
      })
    })
  )
}
