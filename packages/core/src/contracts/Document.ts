// Budget documents uploaded to a project: what the API shows of a stored file and of what the parser made of it.
import { Schema } from "effect"
import { ProjectId, UserId } from "./Ids.ts"
import { ImportProblem } from "./ImportProblem.ts"
import { Job } from "./Job.ts"

export const DocumentId = Schema.String.check(
  Schema.isPattern(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    message: "expected a UUID such as 2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11"
  })
).pipe(Schema.brand("DocumentId"))
export type DocumentId = typeof DocumentId.Type

/** Detected from the file's first bytes at upload; "unknown" for an empty or binary file no importer reads. */
export const DocumentFormat = Schema.Literals(["unixml", "xlsx", "csv", "unknown"])
export type DocumentFormat = typeof DocumentFormat.Type

/** pending (uploaded, parse job queued) → parsing → parsed | failed. */
export const ParseStatus = Schema.Literals(["pending", "parsing", "parsed", "failed"])
export type ParseStatus = typeof ParseStatus.Type

const summaryFields = {
  id: DocumentId,
  projectId: ProjectId,
  fileName: Schema.String,
  contentType: Schema.String,
  sizeBytes: Schema.Number,
  /** Lowercase hex SHA-256 of the bytes; the same bytes uploaded to the same project are one document. */
  sha256: Schema.String,
  format: DocumentFormat,
  parseStatus: ParseStatus,
  problemCount: Schema.Number,
  uploadedBy: Schema.NullOr(UserId),
  createdAt: Schema.String,
  parsedAt: Schema.NullOr(Schema.String),
  /** The budget version the import created; absent before parsing and when the import changed nothing. */
  versionCreated: Schema.optionalKey(Schema.Number)
}

/** A document in a list: everything but the import problems themselves (see problemCount). */
export const DocumentSummary = Schema.Struct(summaryFields)
export type DocumentSummary = typeof DocumentSummary.Type

export const ProjectDocument = Schema.Struct({
  ...summaryFields,
  /** Per-row findings of the importer, with their source location; empty until parsed. */
  importProblems: Schema.Array(ImportProblem)
})
export type ProjectDocument = typeof ProjectDocument.Type

/** The project's documents, newest first. */
export const DocumentList = Schema.Struct({ items: Schema.Array(DocumentSummary) })
export type DocumentList = typeof DocumentList.Type

/** A new upload: the stored document and its queued parse job (answered with 202). */
export const DocumentAccepted = Schema.Struct({
  document: ProjectDocument,
  job: Job,
  created: Schema.Literal(true)
})
export type DocumentAccepted = typeof DocumentAccepted.Type

/** The same bytes were uploaded to this project before: that document and its parse job (answered with 200). */
export const DocumentExisting = Schema.Struct({
  document: ProjectDocument,
  job: Job,
  created: Schema.Literal(false)
})
export type DocumentExisting = typeof DocumentExisting.Type

/** An upload over the configured size limit (MAX_UPLOAD_BYTES). */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  { message: Schema.String, limitBytes: Schema.optionalKey(Schema.Number) },
  { httpApiStatus: 413 }
) {}
