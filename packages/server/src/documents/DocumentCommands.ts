// The document operations the HTTP API exposes: authorisation first (ProjectAccess roles), then the blob store for the
// bytes, DocumentRepo for the row and JobQueue for the parse job. Does NOT parse anything: the parse_document
// processor does, from the job this queues.
import {
  type DocumentAccepted,
  type DocumentExisting,
  type DocumentId,
  type DocumentList,
  InvalidRequest,
  NotFound,
  PayloadTooLarge,
  type ProjectDocument,
  type ProjectId,
  UPLOAD_FILE_FIELD,
  type UserId
} from "@costline/core"
import { Context, Effect, Layer, Option, Stream } from "effect"
import type { Multipart } from "effect/http"
import { BlobStore, type BlobStoreError } from "../blobs/BlobStore.ts"
import { AppConfig } from "../config/AppConfig.ts"
import { JobQueue } from "../jobs/JobQueue.ts"
import { EDIT_ROLES, ProjectAccess, READ_ROLES } from "../projects/ProjectAccess.ts"
import { DocumentRepo } from "./DocumentRepo.ts"
import { parseJobId } from "./parseJobId.ts"
import { fromMultipartError, receiveUpload } from "./receiveUpload.ts"
import { cleanFileName, contentTypeFor, documentFormat, FORMAT_HEAD_BYTES } from "./uploadMetadata.ts"

export type UploadResult = DocumentAccepted | DocumentExisting

export interface DocumentDownload {
  readonly document: ProjectDocument
  readonly size: number
  readonly content: Stream.Stream<Uint8Array, BlobStoreError>
}

const documentNotFound = (documentId: string) =>
  new NotFound({
    message: `document ${documentId} does not exist or belongs to a project you are not a member of`,
    resource: "document",
    id: documentId
  })

export class DocumentCommands extends Context.Service<
  DocumentCommands,
  {
    /**
     * Stores the file of a multipart upload and queues its parse job. All or nothing: a body that is refused stores
     * no row, and a row whose job cannot be queued is removed again. The same bytes uploaded to the project before
     * give back that document and its job (`created: false`).
     */
    readonly upload: (
      projectId: ProjectId,
      userId: UserId,
      parts: Stream.Stream<Multipart.Part, Multipart.MultipartError>
    ) => Effect.Effect<UploadResult, NotFound | InvalidRequest | PayloadTooLarge>
    readonly list: (projectId: ProjectId, userId: UserId) => Effect.Effect<DocumentList, NotFound>
    readonly get: (documentId: DocumentId, userId: UserId) => Effect.Effect<ProjectDocument, NotFound>
    /** The original bytes, streamed from the blob store. */
    readonly content: (documentId: DocumentId, userId: UserId) => Effect.Effect<DocumentDownload, NotFound>
  }
>()("@costline/server/DocumentCommands") {
  static readonly layer = Layer.effect(
    DocumentCommands,
    Effect.gen(function* () {
      const config = yield* AppConfig
      const access = yield* ProjectAccess
      const documents = yield* DocumentRepo
      const blobs = yield* BlobStore
      const jobs = yield* JobQueue

      const tooLarge = () =>
        new PayloadTooLarge({
          message: `the file exceeds ${config.maxUploadBytes} bytes; send a smaller file (limit set by MAX_UPLOAD_BYTES)`,
          limitBytes: config.maxUploadBytes
        })

      /** Streams the file into the blob store, keeping its first bytes for format detection. */
      const store = (file: Multipart.File) =>
        Effect.gen(function* () {
          let head = new Uint8Array(0)
          const content = file.content.pipe(
            Stream.filter((chunk) => chunk.byteLength > 0),
            // Refused before anything is kept: an empty file is a mistake (the wrong file, a failed export).
            Stream.orElseIfEmpty(() =>
              Stream.fail(
                new InvalidRequest({
                  field: UPLOAD_FILE_FIELD,
                  message: "the file is empty; choose the budget file again"
                })
              )
            ),
            Stream.tap((chunk) =>
              Effect.sync(() => {
                if (head.byteLength >= FORMAT_HEAD_BYTES) return
                const next = new Uint8Array(Math.min(FORMAT_HEAD_BYTES, head.byteLength + chunk.byteLength))
                next.set(head)
                next.set(chunk.subarray(0, next.byteLength - head.byteLength), head.byteLength)
                head = next
              })
            )
          )
          const blob = yield* blobs.putStream(content, { maxBytes: config.maxUploadBytes }).pipe(
            Effect.catchTags({
              BlobTooLarge: () => Effect.fail(tooLarge()),
              BlobStoreError: (error) => Effect.die(error),
              // A file part's own stream fails like the parts stream: the body broke off or was malformed.
              MultipartError: (error) => Effect.fail(fromMultipartError(error))
            })
          )
          const format = documentFormat(head)
          return {
            blob,
            format,
            fileName: cleanFileName(file.name),
            contentType: contentTypeFor(file.contentType, format)
          }
        })

      const upload = Effect.fn("DocumentCommands.upload")(function* (
        projectId: ProjectId,
        userId: UserId,
        parts: Stream.Stream<Multipart.Part, Multipart.MultipartError>
      ) {
        // Before a byte of the body is read: a non-member or a reader learns nothing and stores nothing.
        yield* access.require(projectId, userId, EDIT_ROLES)
        const received = yield* receiveUpload(parts, store)
        // The bytes are stored; from here the request finishing early (the client hanging up) must not leave a row
        // without its job, so the rest runs to the end.
        return yield* Effect.uninterruptible(
          Effect.gen(function* () {
            const { record, created } = yield* Effect.orDie(
              documents.insert({
                projectId,
                fileName: received.fileName,
                contentType: received.contentType,
                sizeBytes: received.blob.size,
                sha256: received.blob.key,
                blobKey: received.blob.key,
                format: received.format,
                uploadedBy: userId
              })
            )
            const documentId = record.document.id
            const job = yield* jobs
              .enqueue({
                type: "parse_document",
                projectId,
                jobId: parseJobId(documentId),
                payload: { documentId },
                createdBy: userId
              })
              .pipe(
                Effect.onError(() =>
                  created
                    ? documents.remove(documentId).pipe(
                        Effect.tap(() => Effect.logWarning("upload undone: its parse job could not be queued")),
                        Effect.ignore
                      )
                    : Effect.void
                )
              )
            if (created) yield* Effect.logInfo("document uploaded").pipe(Effect.annotateLogs({ documentId }))
            return created
              ? ({ document: record.document, job, created: true } as const)
              : ({ document: record.document, job, created: false } as const)
          })
        )
      })

      return DocumentCommands.of({
        upload,
        list: (projectId, userId) =>
          access.require(projectId, userId, READ_ROLES).pipe(
            Effect.andThen(Effect.orDie(documents.listByProject(projectId))),
            Effect.map((items) => ({ items }))
          ),
        get: (documentId, userId) =>
          Effect.orDie(documents.findForMember(documentId, userId, READ_ROLES)).pipe(
            Effect.flatMap((found) =>
              Option.isSome(found) ? Effect.succeed(found.value.document) : Effect.fail(documentNotFound(documentId))
            )
          ),
        content: (documentId, userId) =>
          Effect.gen(function* () {
            const found = yield* Effect.orDie(documents.findForMember(documentId, userId, READ_ROLES))
            if (Option.isNone(found)) return yield* documentNotFound(documentId)
            const blob = yield* Effect.orDie(blobs.stream(found.value.blobKey))
            // A row whose bytes are gone is lost data, not something the caller can fix.
            if (Option.isNone(blob)) {
              return yield* Effect.die(new Error(`blob ${found.value.blobKey} of document ${documentId} is missing`))
            }
            return { document: found.value.document, size: blob.value.size, content: blob.value.content }
          })
      })
    })
  )
}
