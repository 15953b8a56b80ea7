// Jobs over HTTP: reading one, cancelling and retrying it, and a project's job list.
import { CostlineApi, CurrentUser } from "@costline/core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { JobCommands } from "../../jobs/JobCommands.ts"
import { ProjectCommands } from "../../projects/ProjectCommands.ts"

export const JobsHandlers = HttpApiBuilder.group(
  CostlineApi,
  "jobs",
  Effect.fnUntraced(function* (handlers) {
    const projects = yield* ProjectCommands
    const jobs = yield* JobCommands
    return handlers
      .handle("get", ({ params }) => Effect.flatMap(CurrentUser, (user) => projects.getJob(params.id, user.userId)))
      .handle("cancel", ({ params }) => Effect.flatMap(CurrentUser, (user) => jobs.cancel(params.id, user.userId)))
      .handle("retry", ({ params }) =>
        Effect.flatMap(CurrentUser, (user) => Effect.map(jobs.retry(params.id, user.userId), (job) => ({ job })))
      )
      .handle("listForProject", ({ params, query }) =>
        Effect.flatMap(CurrentUser, (user) => jobs.list(params.id, user.userId, query))
      )
  })
)
