// The RPCs browsers and the SDK call over the WebSocket at /api/v1/rpc; the caller is the user authenticated at connect.
import { Schema } from "effect"
import { Rpc, RpcGroup } from "effect/rpc"
import { Conflict, InvalidRequest, NotFound } from "./ApiErrors.ts"
import { JobId, ProjectId } from "./Ids.ts"
import { Job, JobPage, JobStatus } from "./Job.ts"
import { CreateProjectPayload, Project, ProjectPage } from "./Project.ts"
import { SubscriptionItem } from "./ProjectEvent.ts"

export class CostlineRpcs extends RpcGroup.make(
  Rpc.make("CreateProject", { payload: CreateProjectPayload, success: Project, error: InvalidRequest }),
  Rpc.make("GetProject", { payload: { projectId: ProjectId }, success: Project, error: NotFound }),
  Rpc.make("ListProjects", {
    payload: {
      limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 }))),
      offset: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
    },
    success: ProjectPage
  }),
  Rpc.make("RecalculateProject", { payload: { projectId: ProjectId }, success: Job, error: NotFound }),
  Rpc.make("GetJob", { payload: { jobId: JobId }, success: Job, error: NotFound }),
  Rpc.make("CancelJob", { payload: { jobId: JobId }, success: Job, error: Schema.Union([NotFound, Conflict]) }),
  Rpc.make("RetryJob", { payload: { jobId: JobId }, success: Job, error: Schema.Union([NotFound, Conflict]) }),
  Rpc.make("ListJobs", {
    payload: {
      projectId: ProjectId,
      status: Schema.optionalKey(JobStatus),
      limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 }))),
      offset: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
    },
    success: JobPage,
    error: NotFound
  }),
  Rpc.make("SubscribeProject", {
    payload: {
      projectId: ProjectId,
      /** The last seq the client saw; the stream replays everything after it. Omit to get only new events. */
      afterSeq: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
    },
    success: SubscriptionItem,
    error: NotFound,
    stream: true
  })
) {}
