// The one place that decides who may do what in a project. A non-member gets the same 404 as a missing project,
// so project ids cannot be probed.
import { NotFound, type Project, type ProjectId, type ProjectRole, type UserId } from "@costline/core"
import { Context, Effect, Layer, Option } from "effect"
import { ProjectRepo } from "./ProjectRepo.ts"

/** Roles allowed to run commands that change a project or start work in it. */
export const EDIT_ROLES: ReadonlyArray<ProjectRole> = ["owner", "editor"]
export const READ_ROLES: ReadonlyArray<ProjectRole> = ["owner", "editor", "auditor", "viewer"]

export const projectNotFound = (projectId: string) =>
  new NotFound({
    message: `project ${projectId} does not exist or you are not a member of it; check the id or ask its owner to add you`,
    resource: "project",
    id: projectId
  })

export class ProjectAccess extends Context.Service<
  ProjectAccess,
  {
    readonly require: (
      projectId: ProjectId,
      userId: UserId,
      roles: ReadonlyArray<ProjectRole>
    ) => Effect.Effect<Project, NotFound>
  }
>()("@costline/server/ProjectAccess") {
  static readonly layer = Layer.effect(
    ProjectAccess,
    Effect.gen(function* () {
      const projects = yield* ProjectRepo
      return ProjectAccess.of({
        require: (projectId, userId, roles) =>
          projects.findForMember(projectId, userId).pipe(
            Effect.flatMap((found) =>
              // A member without the role also gets 404: the answer must not reveal that the project exists.
              Option.isSome(found) && roles.includes(found.value.role)
                ? Effect.succeed(found.value)
                : Effect.fail(projectNotFound(projectId))
            )
          )
      })
    })
  )
}
