// The HTTP API of Costline: one definition shared by the server (handlers), the SDK (typed client) and /openapi.json.
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { Conflict, InvalidRequest, NotFound, NotReady, Unauthorized } from "./ApiErrors.ts"
import { Authentication } from "./Authentication.ts"
import { DocumentsApi } from "./DocumentsApi.ts"
import { JobId, ProjectId } from "./Ids.ts"
import { Job, JobAccepted, JobPage, ListJobsQuery } from "./Job.ts"
import { PipelineApi } from "./PipelineApi.ts"
import { CreateProjectPayload, ListProjectsQuery, Project, ProjectPage } from "./Project.ts"
import { AuthResponse, LoginPayload, RefreshPayload, RegisterPayload } from "./User.ts"

export const ReadyStatus = Schema.Struct({
  status: Schema.Literal("ready"),
  checks: Schema.Record(Schema.String, Schema.Literals(["up", "down"]))
})

export class SystemApi extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/health", { success: Schema.Struct({ status: Schema.Literal("ok") }) }),
    HttpApiEndpoint.get("ready", "/ready", { success: ReadyStatus, error: NotReady })
  )
  .annotateMerge(OpenApi.annotations({ title: "System", description: "Liveness and readiness probes" })) {}

export class AuthApi extends HttpApiGroup.make("auth")
  .add(
    HttpApiEndpoint.post("register", "/register", {
      payload: RegisterPayload,
      success: AuthResponse.pipe(HttpApiSchema.status(201)),
      error: [Conflict, InvalidRequest]
    }),
    HttpApiEndpoint.post("login", "/login", {
      payload: LoginPayload,
      success: AuthResponse,
      error: [Unauthorized, InvalidRequest]
    }),
    HttpApiEndpoint.post("refresh", "/refresh", {
      payload: RefreshPayload,
      success: AuthResponse,
      error: [Unauthorized, InvalidRequest]
    })
  )
  .prefix("/api/v1/auth")
  .annotateMerge(OpenApi.annotations({ title: "Authentication" })) {}

export class ProjectsApi extends HttpApiGroup.make("projects")
  .add(
    HttpApiEndpoint.post("create", "/", {
      payload: CreateProjectPayload,
      success: Project.pipe(HttpApiSchema.status(201)),
      error: InvalidRequest
    }),
    HttpApiEndpoint.get("list", "/", { query: ListProjectsQuery, success: ProjectPage, error: InvalidRequest }),
    HttpApiEndpoint.get("get", "/:id", {
      params: { id: ProjectId },
      success: Project,
      error: [NotFound, InvalidRequest]
    }),
    HttpApiEndpoint.post("recalculate", "/:id/recalculate", {
      params: { id: ProjectId },
      success: JobAccepted.pipe(HttpApiSchema.status(202)),
      error: [NotFound, InvalidRequest]
    })
  )
  .middleware(Authentication)
  .prefix("/api/v1/projects")
  .annotateMerge(OpenApi.annotations({ title: "Projects" })) {}

export class JobsApi extends HttpApiGroup.make("jobs")
  .add(
    HttpApiEndpoint.get("get", "/:id", { params: { id: JobId }, success: Job, error: [NotFound, InvalidRequest] }),
    // Cancels a queued job (it never starts) or interrupts a running one at its next step; 409 once it has finished.
    HttpApiEndpoint.delete("cancel", "/:id", {
      params: { id: JobId },
      success: Job,
      error: [NotFound, Conflict, InvalidRequest]
    }),
    // Runs a failed or cancelled job again from the start; 409 for one that is queued, running or completed.
    HttpApiEndpoint.post("retry", "/:id/retry", {
      params: { id: JobId },
      success: JobAccepted.pipe(HttpApiSchema.status(202)),
      error: [NotFound, Conflict, InvalidRequest]
    })
  )
  .prefix("/api/v1/jobs")
  .add(
    HttpApiEndpoint.get("listForProject", "/api/v1/projects/:id/jobs", {
      params: { id: ProjectId },
      query: ListJobsQuery,
      success: JobPage,
      error: [NotFound, InvalidRequest]
    })
  )
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({ title: "Jobs" })) {}

export class CostlineApi extends HttpApi.make("costline")
  .add(SystemApi)
  .add(AuthApi)
  .add(ProjectsApi)
  .add(JobsApi)
  .add(DocumentsApi)
  .add(PipelineApi)
  // Unknown fields in a body or query are a mistake the caller wants to hear about, not data to drop silently.
  .annotate(HttpApi.PayloadParseOptions, { onExcessProperty: "error" })
  .annotate(HttpApi.QueryParseOptions, { onExcessProperty: "error" })
  .annotateMerge(
    OpenApi.annotations({
      title: "Costline API",
      version: "0.1.0",
      description: "Realtime backend for auditing construction budgets together."
    })
  ) {}
