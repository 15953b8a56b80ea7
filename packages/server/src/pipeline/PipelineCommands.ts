// The pipeline operations the API exposes: ask for an audit of a version, export a version (in the request when it is
// small, through an export_budget job when it is large), download an export job's file. Authorisation first (members
// only, 404 otherwise), then the job queue or the export itself.
import {
  Conflict,
  DIRECT_EXPORT_LIMIT,
  type ExportFormatName,
  ExportResult,
  InvalidRequest,
  type Job,
  type JobId,
  NotFound,
  type ProjectId,
  type ProjectRole,
  type UserId
} from "@costline/core"
import { Config, Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { BlobStore } from "../blobs/BlobStore.ts"
import { BudgetRepo } from "../budget/BudgetRepo.ts"
import { JobQueue } from "../jobs/JobQueue.ts"
import { JobRepo } from "../jobs/JobRepo.ts"
import { buildExportFile } from "../jobs/processors/buildExportFile.ts"
import { enqueueAudit, exportJobId, INTERACTIVE_PRIORITY } from "../jobs/processors/PipelineJobs.ts"
import { ProjectAccess, READ_ROLES } from "../projects/ProjectAccess.ts"

/** Roles that may ask for an audit: those who edit, and auditors. */
export const AUDIT_ROLES: ReadonlyArray<ProjectRole> = ["owner", "editor", "auditor"]

export interface DownloadableFile {
  readonly bytes: Uint8Array
  readonly fileName: string
  readonly contentType: string
}

export type ExportAnswer =
  | { readonly _tag: "File"; readonly file: DownloadableFile }
  | { readonly _tag: "Job"; readonly job: Job }

const decodeExportResult = Schema.decodeUnknownOption(ExportResult)

export class PipelineCommands extends Context.Service<
  PipelineCommands,
  {
    /** Queues the audit of `version` (default: the head) ahead of pipeline work; the existing job when there is one. */
    readonly requestAudit: (
      projectId: ProjectId,
      userId: UserId,
      version: number | undefined
    ) => Effect.Effect<Job, NotFound | InvalidRequest>
    readonly export: (
      projectId: ProjectId,
      userId: UserId,
      query: { readonly format: ExportFormatName; readonly version?: number | undefined }
    ) => Effect.Effect<ExportAnswer, NotFound | InvalidRequest>
    readonly download: (jobId: JobId, userId: UserId) => Effect.Effect<DownloadableFile, NotFound | Conflict>
  }
>()("@costline/server/PipelineCommands") {
  static readonly layer = Layer.effect(
    PipelineCommands,
    Effect.gen(function* () {
      const access = yield* ProjectAccess
      const queue = yield* JobQueue
      const jobs = yield* JobRepo
      const blobs = yield* BlobStore
      const budgets = yield* BudgetRepo
      const sql = yield* SqlClient.SqlClient
      // EXPORT_DIRECT_LIMIT: positions up to which an export is answered in the request (default DIRECT_EXPORT_LIMIT).
      const directLimit = yield* Config.withDefault(Config.Int("EXPORT_DIRECT_LIMIT"), DIRECT_EXPORT_LIMIT).pipe(
        Effect.orDie
      )

      /** The version a request means, checked against the project's versions. */
      const versionOf = (currentVersion: number, requested: number | undefined) =>
        Effect.gen(function* () {
          if (currentVersion === 0) {
            return yield* new InvalidRequest({
              message: "the project has no budget yet: upload a document first",
              field: "version"
            })
          }
          const version = requested ?? currentVersion
          if (version > currentVersion) {
            return yield* new InvalidRequest({
              message: `version ${version} does not exist: the project's newest version is ${currentVersion}`,
              field: "version"
            })
          }
          return version
        })

      const exportNotFound = (jobId: string, why: string) =>
        new NotFound({ message: `job ${jobId} ${why}`, resource: "job", id: jobId })

      return PipelineCommands.of({
        requestAudit: (projectId, userId, requested) =>
          Effect.gen(function* () {
            const project = yield* access.require(projectId, userId, AUDIT_ROLES)
            const version = yield* versionOf(project.currentVersion, requested)
            return yield* enqueueAudit(queue.enqueue, { projectId, version, createdBy: userId })
          }),

        export: (projectId, userId, query) =>
          Effect.gen(function* () {
            const project = yield* access.require(projectId, userId, READ_ROLES)
            const version = yield* versionOf(project.currentVersion, query.version)
            const counted = yield* sql<{ readonly n: string | number }>`
              SELECT count(*) AS n FROM positions
              WHERE project_id = ${projectId} AND valid_from <= ${version}
                AND (valid_to IS NULL OR valid_to > ${version})`.pipe(Effect.orDie)
            if (Number(counted[0]?.n ?? 0) > directLimit) {
              const job = yield* queue.enqueue({
                type: "export_budget",
                projectId,
                jobId: exportJobId(projectId, version, query.format),
                payload: { version, format: query.format },
                priority: INTERACTIVE_PRIORITY,
                createdBy: userId
              })
              return { _tag: "Job", job } as const
            }
            const file = yield* buildExportFile(projectId, version, query.format).pipe(
              Effect.provideService(BudgetRepo, budgets),
              Effect.provideService(SqlClient.SqlClient, sql),
              Effect.orDie
            )
            if (Option.isNone(file)) {
              return yield* new NotFound({
                message: `project ${projectId} has no version ${version}`,
                resource: "version",
                id: String(version)
              })
            }
            return { _tag: "File", file: file.value } as const
          }),

        download: (jobId, userId) =>
          Effect.gen(function* () {
            const found = yield* Effect.orDie(jobs.find(jobId))
            const notFound = exportNotFound(jobId, "does not exist or belongs to a project you are not a member of")
            if (Option.isNone(found)) return yield* notFound
            const job = found.value
            if (job.projectId === null) return yield* notFound
            yield* access.require(job.projectId, userId, READ_ROLES).pipe(Effect.mapError(() => notFound))
            if (job.type !== "export_budget") {
              return yield* exportNotFound(jobId, `is a ${job.type} job, not an export: it has no file to download`)
            }
            if (job.status !== "completed") {
              return yield* new Conflict({
                message: `export job ${jobId} is ${job.status}; download the file once the job has completed`
              })
            }
            const result = decodeExportResult(job.result)
            if (Option.isNone(result)) {
              return yield* Effect.die(new Error(`export job ${jobId} completed without a valid result`))
            }
            const bytes = yield* blobs.get(result.value.blobKey).pipe(Effect.orDie)
            if (Option.isNone(bytes)) {
              return yield* exportNotFound(jobId, "produced a file that is no longer stored; export the budget again")
            }
            return { bytes: bytes.value, fileName: result.value.fileName, contentType: result.value.contentType }
          })
      })
    })
  )
}
