// Jobs over HTTP.
import { CostlineApi, CurrentUser } from "@costline/core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { ProjectCommands } from "../../projects/ProjectCommands.ts"

export const JobsHandlers = HttpApiBuilder.group(
  CostlineApi,
  "jobs",
  Effect.fnUntraced(function* (handlers) {
    const projects = yield* ProjectCommands
    return handlers.handle("get", ({ params }) =>
      Effect.flatMap(CurrentUser, (user) => projects.getJob(params.id, user.userId))
    )
  })
)
