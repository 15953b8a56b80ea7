// The pipeline group of the HTTP API: ask for an audit of a version, export a version (small budgets answer with the
// file, large ones with an export job), and download what an export job produced.
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { Conflict, InvalidRequest, NotFound } from "./ApiErrors.ts"
import { Authentication } from "./Authentication.ts"
import { VersionNumber } from "./BudgetVersion.ts"
import { JobId, ProjectId } from "./Ids.ts"
import { JobAccepted } from "./Job.ts"
import { ExportFormatName } from "./JobPayloads.ts"

/** `{}` audits the head; `{ "version": 3 }` audits version 3. */
export const AuditRequest = Schema.Struct({ version: Schema.optionalKey(VersionNumber.check(Schema.isGreaterThan(0))) })
export type AuditRequest = typeof AuditRequest.Type

export const ExportQuery = Schema.Struct({
  format: ExportFormatName,
  /** Default: the head. */
  version: Schema.optionalKey(Schema.FiniteFromString.check(Schema.isInt(), Schema.isGreaterThan(0)))
})
export type ExportQuery = typeof ExportQuery.Type

/** Budgets up to this many positions are exported in the request; larger ones through an export_budget job. */
export const DIRECT_EXPORT_LIMIT = 5_000

/** A budget file (CSV, XLSX or UNIXML) with Content-Disposition: attachment. */
export const BudgetFile = Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array())

export class PipelineApi extends HttpApiGroup.make("pipeline")
  .add(
    HttpApiEndpoint.post("audit", "/api/v1/projects/:id/audit", {
      params: { id: ProjectId },
      payload: AuditRequest,
      success: JobAccepted.pipe(HttpApiSchema.status(202)),
      error: [NotFound, InvalidRequest]
    }),
    HttpApiEndpoint.get("export", "/api/v1/projects/:id/export", {
      params: { id: ProjectId },
      query: ExportQuery,
      success: [BudgetFile, JobAccepted.pipe(HttpApiSchema.status(202))],
      error: [NotFound, InvalidRequest]
    }),
    HttpApiEndpoint.get("download", "/api/v1/jobs/:id/download", {
      params: { id: JobId },
      success: BudgetFile,
      error: [NotFound, Conflict, InvalidRequest]
    })
  )
  .middleware(Authentication)
  .annotateMerge(
    OpenApi.annotations({
      title: "Pipeline",
      description: `Audits and exports. An export of up to ${DIRECT_EXPORT_LIMIT} positions is the file itself (200); a larger one is a job (202) whose result links to /api/v1/jobs/{id}/download.`
    })
  ) {}
