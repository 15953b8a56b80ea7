// The export_budget processor: a version of the budget as CSV, XLSX or UNIXML into the BlobStore; the job's result
// says where to download it (GET /api/v1/jobs/:id/download). Re-running stores the same bytes under the same key.
import { ExportBudgetPayload, type ExportResult } from "@costline/core"
import { Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { BlobStore } from "../../blobs/BlobStore.ts"
import { BudgetRepo } from "../../budget/BudgetRepo.ts"
import { PermanentJobFailure, RetryableJobFailure, retryOnSqlError } from "../JobFailure.ts"
import type { JobContext, JobProcessor } from "../JobProcessor.ts"
import { buildExportFile } from "./buildExportFile.ts"
import { decodePayload } from "./decodePayload.ts"

// ':' is a valid path character and the ids use it ("export:<project>:<version>:<format>"); keep it readable.
export const downloadUrl = (jobId: string) =>
  `/api/v1/jobs/${encodeURIComponent(jobId).replaceAll("%3A", ":")}/download`

export const makeExportBudget = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const budgets = yield* BudgetRepo
  const blobs = yield* BlobStore

  const processor: JobProcessor = Effect.fn("ExportBudget")(function* (context: JobContext) {
    const { job } = context
    const payload = yield* decodePayload(ExportBudgetPayload, context.payload, "export_budget")
    const projectId = job.projectId
    if (projectId === null) {
      return yield* new PermanentJobFailure({ message: "export_budget needs a project: enqueue it with a projectId" })
    }
    yield* context.reportProgress({
      progress: 0.1,
      message: `writing ${payload.format.toUpperCase()}`,
      step: 1,
      totalSteps: 2
    })
    const file = yield* buildExportFile(projectId, payload.version, payload.format).pipe(
      Effect.provideService(SqlClient.SqlClient, sql),
      Effect.provideService(BudgetRepo, budgets),
      retryOnSqlError("reading the budget")
    )
    if (Option.isNone(file)) {
      return yield* new PermanentJobFailure({
        message: `project ${projectId} has no version ${payload.version ?? "(head)"} to export`
      })
    }
    yield* context.reportProgress({
      progress: 0.8,
      message: `storing ${file.value.fileName} (${file.value.bytes.byteLength} bytes)`,
      step: 2,
      totalSteps: 2
    })
    const stored = yield* blobs
      .put(file.value.bytes)
      .pipe(
        Effect.mapError(
          (error) => new RetryableJobFailure({ message: `the export could not be stored: ${error.message}` })
        )
      )
    const result: ExportResult = {
      blobKey: stored.key,
      format: payload.format,
      fileName: file.value.fileName,
      contentType: file.value.contentType,
      size: stored.size,
      version: file.value.version,
      positionCount: file.value.positionCount,
      downloadUrl: downloadUrl(job.id)
    }
    return result
  })
  return processor
})
