// The project_documents table: one row per distinct file (by SHA-256) per project, read as the ProjectDocument contract.
// Owns the parse status transitions (pending → parsing → parsed | failed, and back to pending when an attempt stops
// without a result) and the stored import problems; does NOT own the bytes (BlobStore), who may see a document
// (ProjectAccess roles, passed in) or the version an import creates (the project actor writes
// budget_versions.document_id; versionCreated is read from there).
import type {
  DocumentFormat,
  DocumentId,
  DocumentSummary,
  ImportProblem,
  ParseStatus,
  ProjectDocument,
  ProjectId,
  ProjectRole,
  UserId
} from "@costline/core"
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"

/** A document with what the server needs beyond the public contract. */
export interface DocumentRecord {
  readonly document: ProjectDocument
  /** Where the bytes are in the BlobStore. */
  readonly blobKey: string
}

export interface NewDocument {
  readonly projectId: ProjectId
  readonly fileName: string
  readonly contentType: string
  readonly sizeBytes: number
  readonly sha256: string
  readonly blobKey: string
  readonly format: DocumentFormat
  readonly uploadedBy: UserId | null
}

interface Row {
  readonly id: string
  readonly project_id: string
  readonly file_name: string
  readonly content_type: string
  readonly size_bytes: string | number
  readonly sha256: string
  readonly blob_key: string
  readonly format: string | null
  readonly parse_status: string
  readonly import_problems?: unknown
  readonly problem_count: string | number
  readonly uploaded_by: string | null
  readonly created_at: Date | string
  readonly parsed_at: Date | string | null
  readonly version_created: string | number | null
}

const iso = (value: Date | string): string =>
  value instanceof Date ? value.toISOString() : new Date(value).toISOString()

// The table is written only through this module, from typed values, so its columns hold the contract's literals, ids
// and ImportProblem objects; the casts restate that rather than re-validating every row on every read.
const toSummary = (row: Row): DocumentSummary => ({
  id: row.id as DocumentId,
  projectId: row.project_id as ProjectId,
  fileName: row.file_name,
  contentType: row.content_type,
  sizeBytes: Number(row.size_bytes),
  sha256: row.sha256,
  format: (row.format ?? "unknown") as DocumentFormat,
  parseStatus: row.parse_status as ParseStatus,
  problemCount: Number(row.problem_count),
  uploadedBy: row.uploaded_by as UserId | null,
  createdAt: iso(row.created_at),
  parsedAt: row.parsed_at === null ? null : iso(row.parsed_at),
  ...(row.version_created === null ? {} : { versionCreated: Number(row.version_created) })
})

const toRecord = (row: Row): DocumentRecord => ({
  document: {
    ...toSummary(row),
    importProblems: Array.isArray(row.import_problems) ? (row.import_problems as Array<ImportProblem>) : []
  },
  blobKey: row.blob_key
})

const summaryColumns = `d.id, d.project_id, d.file_name, d.content_type, d.size_bytes, d.sha256, d.blob_key, d.format,
  d.parse_status, jsonb_array_length(d.import_problems) AS problem_count, d.uploaded_by, d.created_at, d.parsed_at,
  (SELECT min(v.version) FROM budget_versions v WHERE v.project_id = d.project_id AND v.document_id = d.id)
    AS version_created`

export class DocumentRepo extends Context.Service<
  DocumentRepo,
  {
    /**
     * Inserts a pending document; when the project has one with the same sha256 already, returns that one untouched
     * (`created: false`). Concurrent inserts of the same bytes agree on one row.
     */
    readonly insert: (
      input: NewDocument
    ) => Effect.Effect<{ readonly record: DocumentRecord; readonly created: boolean }, SqlError>
    /** Any document by id, whoever asks (job processors). */
    readonly find: (id: DocumentId) => Effect.Effect<Option.Option<DocumentRecord>, SqlError>
    /** The document only when `userId` is a member of its project with one of `roles` (see ProjectAccess). */
    readonly findForMember: (
      id: DocumentId,
      userId: UserId,
      roles: ReadonlyArray<ProjectRole>
    ) => Effect.Effect<Option.Option<DocumentRecord>, SqlError>
    /** The project's documents, newest first, without their import problems. */
    readonly listByProject: (projectId: ProjectId) => Effect.Effect<ReadonlyArray<DocumentSummary>, SqlError>
    /**
     * A parse attempt starts: pending, parsing (a re-run after a crash) or failed (a retry) → parsing. None when the
     * document is missing or already parsed, so a re-delivered job can tell the work is done.
     */
    readonly markParsing: (id: DocumentId) => Effect.Effect<Option.Option<ProjectDocument>, SqlError>
    /** The parse succeeded, with the importer's per-row problems (warnings and skipped rows). */
    readonly markParsed: (
      id: DocumentId,
      problems: ReadonlyArray<ImportProblem>
    ) => Effect.Effect<ProjectDocument, SqlError>
    /** The parse failed for good (a corrupt file); `problems` are whatever the importer could say about rows. */
    readonly markFailed: (
      id: DocumentId,
      problems: ReadonlyArray<ImportProblem>
    ) => Effect.Effect<ProjectDocument, SqlError>
    /**
     * A parse attempt stopped without a result (its job was cancelled, timed out, stopped by a shutdown, or failed in a
     * way a retry may fix): parsing → pending, so the document does not claim a parse that no one is running. The job
     * says why; retrying it parses the document again. Only a `parsing` document changes (true): one recorded parsed or
     * failed meanwhile keeps its outcome.
     */
    readonly markPending: (id: DocumentId) => Effect.Effect<boolean, SqlError>
    /** Removes a row whose upload could not be completed (its parse job could not be queued). */
    readonly remove: (id: DocumentId) => Effect.Effect<void, SqlError>
  }
>()("@costline/server/DocumentRepo") {
  static readonly layer = Layer.effect(
    DocumentRepo,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const recordColumns = sql.literal(`${summaryColumns}, d.import_problems`)
      const listColumns = sql.literal(summaryColumns)

      const find = Effect.fn("DocumentRepo.find")(function* (id: DocumentId) {
        const rows = yield* sql<Row>`SELECT ${recordColumns} FROM project_documents d WHERE d.id = ${id}`
        return Option.map(Option.fromNullishOr(rows[0]), toRecord)
      })

      const mustFind = (id: DocumentId, operation: string) =>
        Effect.flatMap(find(id), (found) =>
          Option.isSome(found)
            ? Effect.succeed(found.value.document)
            : Effect.die(new Error(`DocumentRepo.${operation}: document ${id} does not exist`))
        )

      const insert = Effect.fn("DocumentRepo.insert")(function* (input: NewDocument) {
        const inserted = yield* sql<{ readonly id: string }>`
          INSERT INTO project_documents
            (project_id, file_name, content_type, size_bytes, sha256, blob_key, format, uploaded_by)
          VALUES (${input.projectId}, ${input.fileName}, ${input.contentType}, ${input.sizeBytes}, ${input.sha256},
            ${input.blobKey}, ${input.format}, ${input.uploadedBy})
          ON CONFLICT ON CONSTRAINT project_documents_project_id_sha256_key DO NOTHING
          RETURNING id`
        const created = inserted[0] !== undefined
        const rows = yield* sql<Row>`
          SELECT ${recordColumns} FROM project_documents d
          WHERE d.project_id = ${input.projectId} AND d.sha256 = ${input.sha256}`
        const row = rows[0]
        // Only a delete racing between the two statements lands here.
        if (row === undefined) return yield* Effect.die(new Error(`document ${input.sha256} vanished while inserted`))
        return { record: toRecord(row), created }
      })

      const findForMember = Effect.fn("DocumentRepo.findForMember")(function* (
        id: DocumentId,
        userId: UserId,
        roles: ReadonlyArray<ProjectRole>
      ) {
        if (roles.length === 0) return Option.none<DocumentRecord>()
        const rows = yield* sql<Row>`
          SELECT ${recordColumns} FROM project_documents d
          JOIN project_members m ON m.project_id = d.project_id AND m.user_id = ${userId}
          WHERE d.id = ${id} AND m.role IN ${sql.in(roles)}`
        return Option.map(Option.fromNullishOr(rows[0]), toRecord)
      })

      const listByProject = Effect.fn("DocumentRepo.listByProject")(function* (projectId: ProjectId) {
        const rows = yield* sql<Row>`
          SELECT ${listColumns} FROM project_documents d
          WHERE d.project_id = ${projectId}
          ORDER BY d.created_at DESC, d.id`
        return rows.map(toSummary)
      })

      const markParsing = Effect.fn("DocumentRepo.markParsing")(function* (id: DocumentId) {
        const updated = yield* sql`
          UPDATE project_documents SET parse_status = 'parsing', parsed_at = NULL
          WHERE id = ${id} AND parse_status IN ('pending', 'parsing', 'failed')
          RETURNING id`
        if (updated.length === 0) return Option.none<ProjectDocument>()
        return Option.some(yield* mustFind(id, "markParsing"))
      })

      const markPending = Effect.fn("DocumentRepo.markPending")(function* (id: DocumentId) {
        const updated = yield* sql`
          UPDATE project_documents SET parse_status = 'pending'
          WHERE id = ${id} AND parse_status = 'parsing'
          RETURNING id`
        return updated.length > 0
      })

      const finish = (id: DocumentId, status: "parsed" | "failed", problems: ReadonlyArray<ImportProblem>) =>
        Effect.gen(function* () {
          yield* sql`
            UPDATE project_documents
            SET parse_status = ${status}, import_problems = ${JSON.stringify(problems)}::jsonb, parsed_at = now()
            WHERE id = ${id}`
          return yield* mustFind(id, status === "parsed" ? "markParsed" : "markFailed")
        })

      const remove = Effect.fn("DocumentRepo.remove")(function* (id: DocumentId) {
        yield* sql`DELETE FROM project_documents WHERE id = ${id}`
      })

      return DocumentRepo.of({
        insert,
        find,
        findForMember,
        listByProject,
        markParsing,
        markParsed: (id, problems) => finish(id, "parsed", problems).pipe(Effect.withSpan("DocumentRepo.markParsed")),
        markFailed: (id, problems) => finish(id, "failed", problems).pipe(Effect.withSpan("DocumentRepo.markFailed")),
        markPending,
        remove
      })
    })
  )
}
