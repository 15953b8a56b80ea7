// The documents group of the HTTP API: upload a budget file to a project (which queues its parse job), list a
// project's documents, read one with its parse status and import problems, and download the original bytes.
import { Schema } from "effect"
import { Multipart } from "effect/http"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { InvalidRequest, NotFound } from "./ApiErrors.ts"
import { Authentication } from "./Authentication.ts"
import {
  DocumentAccepted,
  DocumentExisting,
  DocumentId,
  DocumentList,
  PayloadTooLarge,
  ProjectDocument
} from "./Document.ts"
import { ProjectId } from "./Ids.ts"

/** The multipart field that carries the file. */
export const UPLOAD_FILE_FIELD = "file"

/** Bounds on the multipart envelope (the file's own limit is server configuration). */
export const UPLOAD_MULTIPART_LIMITS = { maxParts: 4, maxFieldSize: 64 * 1024 } as const

/**
 * multipart/form-data with exactly one part, the file, named `file`. Streamed: the server hashes and stores the file
 * as it arrives, so a 50 MB upload is never held whole by the handler. The file size limit (MAX_UPLOAD_BYTES) is
 * server configuration; the limits here only bound the envelope.
 */
export const UploadDocumentPayload = Schema.Struct({ [UPLOAD_FILE_FIELD]: Multipart.SingleFileSchema }).pipe(
  HttpApiSchema.asMultipartStream(UPLOAD_MULTIPART_LIMITS)
)

/** The original bytes, served with the content type they were uploaded with. */
export const DocumentContent = Schema.Uint8Array.pipe(
  HttpApiSchema.asUint8Array({ contentType: "application/octet-stream" })
)

export class DocumentsApi extends HttpApiGroup.make("documents")
  .add(
    HttpApiEndpoint.post("upload", "/projects/:id/documents", {
      params: { id: ProjectId },
      payload: UploadDocumentPayload,
      success: [DocumentAccepted.pipe(HttpApiSchema.status(202)), DocumentExisting.pipe(HttpApiSchema.status(200))],
      error: [NotFound, InvalidRequest, PayloadTooLarge]
    }),
    HttpApiEndpoint.get("list", "/projects/:id/documents", {
      params: { id: ProjectId },
      success: DocumentList,
      error: [NotFound, InvalidRequest]
    }),
    HttpApiEndpoint.get("get", "/documents/:id", {
      params: { id: DocumentId },
      success: ProjectDocument,
      error: [NotFound, InvalidRequest]
    }),
    HttpApiEndpoint.get("content", "/documents/:id/content", {
      params: { id: DocumentId },
      success: DocumentContent,
      error: [NotFound, InvalidRequest]
    })
  )
  .middleware(Authentication)
  .prefix("/api/v1")
  .annotateMerge(
    OpenApi.annotations({
      title: "Documents",
      description:
        "Budget files (KROS UNIXML, XLSX, CSV) uploaded to a project. An upload stores the file and queues its parse " +
        "job: 202 with the new document and job; the same bytes uploaded to the same project again answer 200 with " +
        "the existing document and its job. Only owners and editors upload; every member reads."
    })
  ) {}
