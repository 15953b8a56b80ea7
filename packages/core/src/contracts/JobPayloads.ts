// The payloads of the pipeline's jobs as stored in background_jobs.payload; processors decode them with these schemas.
import { Schema } from "effect"
import { VersionNumber } from "./BudgetVersion.ts"
import { DocumentId } from "./Document.ts"

export const ExportFormatName = Schema.Literals(["csv", "xlsx", "unixml"])
export type ExportFormatName = typeof ExportFormatName.Type

/** Id of the job that enqueued this one; the follower starts once it has finished, so events stay in order. */
const After = Schema.optionalKey(Schema.String)

/** parse_document, job id `parse:<documentId>`. */
export const ParseDocumentPayload = Schema.Struct({ documentId: DocumentId })
export type ParseDocumentPayload = typeof ParseDocumentPayload.Type

/** enrich_positions, job id `enrich:<projectId>:<version>`: enriches the head, which was `version` when enqueued. */
export const EnrichPositionsPayload = Schema.Struct({ version: VersionNumber, after: After })
export type EnrichPositionsPayload = typeof EnrichPositionsPayload.Type

/** audit_project, job id `audit:<projectId>:<version>`; without a version, the head when the job runs. */
export const AuditProjectPayload = Schema.Struct({ version: Schema.optionalKey(VersionNumber), after: After })
export type AuditProjectPayload = typeof AuditProjectPayload.Type

/** export_budget; without a version, the head when the job runs. */
export const ExportBudgetPayload = Schema.Struct({
  version: Schema.optionalKey(VersionNumber),
  format: ExportFormatName
})
export type ExportBudgetPayload = typeof ExportBudgetPayload.Type

/** What a completed export_budget job holds in its result. */
export const ExportResult = Schema.Struct({
  blobKey: Schema.String,
  format: ExportFormatName,
  fileName: Schema.String,
  contentType: Schema.String,
  size: Schema.Number,
  version: VersionNumber,
  positionCount: Schema.Number,
  /** `/api/v1/jobs/:id/download`: the file, for members of the project. */
  downloadUrl: Schema.String
})
export type ExportResult = typeof ExportResult.Type
