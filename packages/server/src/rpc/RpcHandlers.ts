// The RPC handlers for CostlineRpcs. The caller is the user the socket authenticated at connect (UwsRpcProtocol puts
// its id in the x-costline-user-id header of every request on that connection).
import { CostlineRpcs, type UserId } from "@costline/core"
import { Effect } from "effect"
import type { Headers } from "effect/http"
import { JobCommands } from "../jobs/JobCommands.ts"
import { ProjectCommands } from "../projects/ProjectCommands.ts"

export const USER_ID_HEADER = "x-costline-user-id"

const callerOf = (headers: Headers.Headers): UserId => {
  const userId = headers[USER_ID_HEADER]
  // The protocol refuses to upgrade a socket without a valid token, so a missing id is a wiring bug.
  if (userId === undefined) throw new Error("RPC request without an authenticated user")
  return userId as UserId
}

export const RpcHandlers = CostlineRpcs.toLayer(
  Effect.gen(function* () {
    const projects = yield* ProjectCommands
    const jobs = yield* JobCommands
    return CostlineRpcs.of({
      CreateProject: (payload, { headers }) => projects.create(callerOf(headers), payload),
      GetProject: ({ projectId }, { headers }) => projects.get(projectId, callerOf(headers)),
      ListProjects: (payload, { headers }) =>
        projects.list(callerOf(headers), { limit: payload.limit ?? 20, offset: payload.offset ?? 0 }),
      RecalculateProject: ({ projectId }, { headers }) => projects.recalculate(projectId, callerOf(headers)),
      GetJob: ({ jobId }, { headers }) => projects.getJob(jobId, callerOf(headers)),
      CancelJob: ({ jobId }, { headers }) => jobs.cancel(jobId, callerOf(headers)),
      RetryJob: ({ jobId }, { headers }) => jobs.retry(jobId, callerOf(headers)),
      ListJobs: ({ projectId, ...request }, { headers }) => jobs.list(projectId, callerOf(headers), request),
      SubscribeProject: ({ projectId, afterSeq }, { headers }) =>
        projects.subscribe(projectId, callerOf(headers), afterSeq)
    })
  })
)
