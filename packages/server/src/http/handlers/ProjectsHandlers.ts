// Projects over HTTP: reads go to the repository, commands to the project's actor.
import { CostlineApi, CurrentUser } from "@costline/core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { ProjectCommands } from "../../projects/ProjectCommands.ts"

export const ProjectsHandlers = HttpApiBuilder.group(
  CostlineApi,
  "projects",
  Effect.fnUntraced(function* (handlers) {
    const projects = yield* ProjectCommands
    return handlers
      .handle("create", ({ payload }) => Effect.flatMap(CurrentUser, (user) => projects.create(user.userId, payload)))
      .handle("list", ({ query }) =>
        Effect.flatMap(CurrentUser, (user) =>
          projects.list(user.userId, { limit: query.limit ?? 20, offset: query.offset ?? 0 })
        )
      )
      .handle("get", ({ params }) => Effect.flatMap(CurrentUser, (user) => projects.get(params.id, user.userId)))
      .handle("recalculate", ({ params }) =>
        Effect.flatMap(CurrentUser, (user) =>
          Effect.map(projects.recalculate(params.id, user.userId), (job) => ({ job }))
        )
      )
  })
)
