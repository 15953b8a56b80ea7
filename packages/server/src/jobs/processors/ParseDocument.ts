// The parse_document processor: the stored bytes of a document → core.parseBudget → the project's next version (via
// BudgetWriter, trigger initial / document_added), the import problems and parse status on the document, then the
// pipeline's next step (enrich). A file the importer rejects fails the job for good at once; everything else may
// run again after a crash without making a second version. An attempt that stops without a result puts the document
// back to pending when the job is to run again (or was cancelled), so it never shows a parse that is over, and marks
// it failed when the job fails for good (its last attempt, a second timeout); unless its import had committed, which
// makes the document parsed (its version exists).
import {
  type BudgetVersion,
  type DocumentId,
  type ImportProblem,
  type JobId,
  ParseDocumentPayload,
  type ProjectId,
  parseBudget
} from "@costline/core"
import { Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { BlobStore } from "../../blobs/BlobStore.ts"
import { DocumentRepo } from "../../documents/DocumentRepo.ts"
import type { JobFate } from "../AttemptEnd.ts"
import { PermanentJobFailure, RetryableJobFailure, retryOnSqlError } from "../JobFailure.ts"
import type { JobContext, JobProcessor } from "../JobProcessor.ts"
import { BudgetWriter } from "./BudgetWriter.ts"
import { decodePayload } from "./decodePayload.ts"
import { FollowUpJobs } from "./FollowUpJobs.ts"
import { enqueueEnrich } from "./PipelineJobs.ts"

export interface ParseDocumentResult {
  readonly documentId: string
  readonly format: string
  readonly positionCount: number
  readonly problemCount: number
  /** The version this document made (now or in an earlier run of the job); null when the import changed nothing. */
  readonly version: number | null
  /** Whether this run committed the version (false: it existed from an earlier run, or nothing changed). */
  readonly committed: boolean
  /** The enrich job queued next; null when there was no new version. */
  readonly next: JobId | null
}

const TOTAL_STEPS = 4

export const makeParseDocument = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const documents = yield* DocumentRepo
  const blobs = yield* BlobStore
  const writer = yield* BudgetWriter
  const followUps = yield* FollowUpJobs

  /** The version an earlier run of this job committed for the document, if any. */
  const linkedVersion = (projectId: ProjectId, documentId: string) =>
    sql<{ readonly version: number }>`
      SELECT min(version) AS version FROM budget_versions
      WHERE project_id = ${projectId} AND document_id = ${documentId}`.pipe(
      Effect.map((rows) => (rows[0]?.version == null ? null : Number(rows[0].version))),
      retryOnSqlError("looking up the document's version")
    )

  /**
   * The attempt ended without a result after it marked the document parsing: the document follows the job (`fate`, as
   * the runner records it): failed when the job fails for good (here or, for a lost attempt, by another worker),
   * pending otherwise. A lost attempt whose job another attempt owns now sets it pending too: that attempt records the
   * document's outcome at its end (markParsed and markFailed apply whatever the status). It runs as the attempt's finalizer and is uninterruptible, so the interrupt
   * that cancels the job cannot cut the write short; if the database does not answer, the document stays parsing until
   * the job runs again.
   *
   * With `imported` (the parse got as far as importing its positions), the import may have committed even though its
   * answer never came (the attempt was cancelled, or timed out, while the reply was on its way): then the document has
   * its version, and is recorded parsed with the problems found.
   */
  const stopped = (
    document: { readonly id: DocumentId; readonly projectId: ProjectId },
    fate: JobFate,
    imported: { readonly problems: ReadonlyArray<ImportProblem> } | undefined
  ) =>
    Effect.gen(function* () {
      const version = imported === undefined ? null : yield* linkedVersion(document.projectId, document.id)
      if (version !== null && imported !== undefined) {
        yield* documents.markParsed(document.id, imported.problems)
        return yield* Effect.logInfo(`parse stopped after its import committed (version ${version}); document parsed`)
      }
      // The job ends failed (its last attempt, or a second timeout): so does the document; the job's error says why.
      if (fate === "failed") {
        yield* documents.markFailed(document.id, [])
        return yield* Effect.logInfo("parse failed for good; the document is failed")
      }
      if (yield* documents.markPending(document.id)) {
        yield* Effect.logInfo(`parse stopped (the job is ${fate}); the document is pending`)
      }
    }).pipe(
      Effect.catch((error) =>
        Effect.logWarning("the stopped parse could not record its document's status; it stays parsing", error)
      ),
      Effect.annotateLogs({ documentId: document.id }),
      Effect.uninterruptible
    )

  const next = (projectId: ProjectId, version: number | null, jobId: JobId) =>
    version === null
      ? Effect.succeed(null)
      : Effect.map(enqueueEnrich(followUps.enqueue, { projectId, version, after: jobId }), (job) => job.id)

  const processor: JobProcessor = Effect.fn("ParseDocument")(function* (context: JobContext) {
    const { job } = context
    const { documentId } = yield* decodePayload(ParseDocumentPayload, context.payload, "parse_document")
    const progress = (step: number, value: number, message: string) =>
      context.reportProgress({ progress: value, message, step, totalSteps: TOTAL_STEPS })

    yield* progress(1, 0.05, "reading the document")
    const found = yield* documents.find(documentId).pipe(retryOnSqlError("reading the document"))
    if (Option.isNone(found)) {
      return yield* new PermanentJobFailure({ message: `document ${documentId} does not exist (deleted?)` })
    }
    const { document, blobKey } = found.value
    const projectId = document.projectId
    if (job.projectId !== null && job.projectId !== projectId) {
      return yield* new PermanentJobFailure({
        message: `document ${documentId} belongs to project ${projectId}, not to the job's project ${job.projectId}`
      })
    }
    // Everything from marking the document parsing on: however it ends without a result, `stopped` undoes the mark,
    // unless the document's outcome was written by then: parsed (only the follow-up was left; its version stands), or
    // failed for good.
    let settled = false
    /** The file cannot become a version on any attempt: the document is failed, and so is the job, at once. */
    const failForGood = (message: string) =>
      documents.markFailed(documentId, []).pipe(
        retryOnSqlError("recording the failure"),
        Effect.andThen(
          Effect.suspend(() => {
            settled = true
            return Effect.fail(new PermanentJobFailure({ message }))
          })
        )
      )
    let imported: { readonly problems: ReadonlyArray<ImportProblem> } | undefined
    const attempt = Effect.gen(function* () {
      // Uninterruptible: an interrupt that lands while the UPDATE is in flight then finds it finished, and the
      // finalizer below sees the document it marked.
      const started = yield* documents
        .markParsing(documentId)
        .pipe(retryOnSqlError("marking the document parsing"), Effect.uninterruptible)
      if (Option.isNone(started)) {
        // Parsed by an earlier run that stopped before the job was marked completed: only the follow-up may be missing.
        const version = yield* linkedVersion(projectId, documentId)
        const result: ParseDocumentResult = {
          documentId,
          format: document.format,
          positionCount: 0,
          problemCount: document.importProblems.length,
          version,
          committed: false,
          next: yield* next(projectId, version, job.id)
        }
        return result
      }

      const bytes = yield* blobs
        .get(blobKey)
        .pipe(
          Effect.mapError(
            (error) => new RetryableJobFailure({ message: `the stored file could not be read: ${error.message}` })
          )
        )
      if (Option.isNone(bytes)) {
        return yield* failForGood(
          `the stored file of document ${documentId} ("${document.fileName}") is missing; upload it again`
        )
      }

      yield* progress(2, 0.15, `parsing ${document.fileName} (${bytes.value.byteLength} bytes)`)
      const parsed = yield* parseBudget(bytes.value, { fileName: document.fileName }).pipe(
        Effect.catchTag("ImportError", (error) =>
          // Bad input: the same bytes fail the same way on every attempt.
          failForGood(`"${document.fileName}" could not be imported (${error.reason}): ${error.message}`)
        )
      )

      yield* progress(3, 0.5, `importing ${parsed.positions.length} positions`)
      // A version made by an earlier run of this job is the document's version: importing again on a head that has
      // moved on since (an edit) would make a second version and undo the edit.
      const earlier = yield* linkedVersion(projectId, documentId)
      // Once the import has answered, the document is marked parsed whatever happens: a cancel landing between the
      // two would leave it pending beside its own version. Only the import itself can be interrupted: that stops the
      // command if the actor still runs it, and if it had committed already, `stopped` finds its version.
      imported = { problems: parsed.problems }
      const { created, version } = yield* Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          let version = earlier
          let created: BudgetVersion | null = null
          if (earlier === null) {
            created = yield* restore(
              writer
                .importPositions(projectId, {
                  documentId,
                  positions: parsed.positions,
                  settings: parsed.settings,
                  requestedBy: document.uploadedBy
                })
                .pipe(Effect.mapError((error) => new RetryableJobFailure({ message: error.message })))
            )
            // "Nothing changed" may mean that an earlier delivery of this very import (a send that timed out, or was
            // repeated when its actor moved to another server) already made the document's version.
            version = created?.version ?? (yield* linkedVersion(projectId, documentId))
          }
          yield* documents.markParsed(documentId, parsed.problems).pipe(retryOnSqlError("recording the parse result"))
          settled = true
          return { created, version }
        })
      )
      yield* progress(4, 0.9, `recorded ${parsed.problems.length} import problems`)
      const result: ParseDocumentResult = {
        documentId,
        format: parsed.meta.format,
        positionCount: parsed.positions.length,
        problemCount: parsed.problems.length,
        version,
        committed: created !== null,
        next: yield* next(projectId, version, job.id)
      }
      return result
    })
    return yield* attempt.pipe(
      Effect.onError((cause) => (settled ? Effect.void : stopped(document, context.fateOf(cause), imported)))
    )
  })
  return processor
})
