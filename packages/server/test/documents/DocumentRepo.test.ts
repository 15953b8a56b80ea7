// project_documents against real PostgreSQL: one row per bytes per project (also under concurrent inserts),
// member-scoped reads by role, the parse status transitions with their problems, and versionCreated read from the
// version the import wrote.
import type { DocumentId, ImportProblem, ProjectId, UserId } from "@costline/core"
import { DocumentRepo, type NewDocument } from "@costline/server/documents/DocumentRepo"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { TestDatabase } from "../../../../test/support/TestDatabase.ts"
import { insertProject, insertUser } from "./documentFixtures.ts"

const Live = DocumentRepo.layer.pipe(Layer.provideMerge(TestDatabase.layerMigrated))

const sha = (n: number) => n.toString(16).padStart(64, "0")

const newDocument = (projectId: ProjectId, uploadedBy: UserId, n: number): NewDocument => ({
  projectId,
  fileName: `budget-${n}.csv`,
  contentType: "text/csv",
  sizeBytes: 100 + n,
  sha256: sha(n),
  blobKey: sha(n),
  format: "csv",
  uploadedBy
})

const problem: ImportProblem = {
  kind: "unparseable-number",
  severity: "warning",
  message: "quantity '1,2,3' is not a number; the row was kept with quantity 0",
  location: { sheet: null, row: 7, column: "quantity", path: null },
  value: "1,2,3",
  positionKey: "1-7"
}

layer(Live, { timeout: "60 seconds" })("DocumentRepo", (it) => {
  it.effect("inserts a pending document and finds the same row for the same bytes", () =>
    Effect.gen(function* () {
      const repo = yield* DocumentRepo
      const owner = yield* insertUser("owner")
      const projectId = yield* insertProject(owner)
      const first = yield* repo.insert(newDocument(projectId, owner, 1))
      assert.isTrue(first.created)
      const document = first.record.document
      assert.strictEqual(document.projectId, projectId)
      assert.strictEqual(document.parseStatus, "pending")
      assert.strictEqual(document.format, "csv")
      assert.strictEqual(document.sizeBytes, 101)
      assert.strictEqual(document.problemCount, 0)
      assert.deepStrictEqual(document.importProblems, [])
      assert.strictEqual(document.uploadedBy, owner)
      assert.isNull(document.parsedAt)
      assert.isFalse("versionCreated" in document)
      assert.strictEqual(first.record.blobKey, sha(1))

      // Same bytes, another name: the existing row, untouched.
      const again = yield* repo.insert({ ...newDocument(projectId, owner, 1), fileName: "renamed.csv" })
      assert.isFalse(again.created)
      assert.strictEqual(again.record.document.id, document.id)
      assert.strictEqual(again.record.document.fileName, "budget-1.csv")

      // Same bytes in another project: a document of its own.
      const otherProject = yield* insertProject(owner)
      const elsewhere = yield* repo.insert(newDocument(otherProject, owner, 1))
      assert.isTrue(elsewhere.created)
      assert.notStrictEqual(elsewhere.record.document.id, document.id)
    })
  )

  it.effect("concurrent inserts of the same bytes agree on one row, created once", () =>
    Effect.gen(function* () {
      const repo = yield* DocumentRepo
      const sql = yield* SqlClient.SqlClient
      const owner = yield* insertUser("owner")
      const projectId = yield* insertProject(owner)
      const results = yield* Effect.all(
        Array.from({ length: 8 }, () => repo.insert(newDocument(projectId, owner, 2))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(new Set(results.map((r) => r.record.document.id)).size, 1)
      assert.strictEqual(results.filter((r) => r.created).length, 1)
      const [count] = yield* sql<{ n: number }>`
        SELECT count(*)::int AS n FROM project_documents WHERE project_id = ${projectId}`
      assert.strictEqual(count!.n, 1)
    })
  )

  it.effect("findForMember answers only members holding one of the roles", () =>
    Effect.gen(function* () {
      const repo = yield* DocumentRepo
      const owner = yield* insertUser("owner")
      const viewer = yield* insertUser("viewer")
      const stranger = yield* insertUser("stranger")
      const projectId = yield* insertProject(owner, [[viewer, "viewer"]])
      const { record } = yield* repo.insert(newDocument(projectId, owner, 3))
      const id = record.document.id
      assert.isTrue(Option.isSome(yield* repo.findForMember(id, owner, ["owner", "editor"])))
      assert.isTrue(Option.isSome(yield* repo.findForMember(id, viewer, ["owner", "editor", "auditor", "viewer"])))
      assert.isTrue(Option.isNone(yield* repo.findForMember(id, viewer, ["owner", "editor"])))
      assert.isTrue(Option.isNone(yield* repo.findForMember(id, stranger, ["owner", "editor", "auditor", "viewer"])))
      assert.isTrue(Option.isNone(yield* repo.findForMember(id, owner, [])))
      const missing = crypto.randomUUID() as DocumentId
      assert.isTrue(Option.isNone(yield* repo.findForMember(missing, owner, ["owner"])))
      assert.isTrue(Option.isNone(yield* repo.find(missing)))
      assert.isTrue(Option.isSome(yield* repo.find(id)))
    })
  )

  it.effect("lists a project's documents newest first, with problem counts but not the problems", () =>
    Effect.gen(function* () {
      const repo = yield* DocumentRepo
      const owner = yield* insertUser("owner")
      const projectId = yield* insertProject(owner)
      const older = yield* repo.insert(newDocument(projectId, owner, 4))
      const newer = yield* repo.insert(newDocument(projectId, owner, 5))
      yield* repo.markParsed(older.record.document.id, [problem, problem])
      const listed = yield* repo.listByProject(projectId)
      assert.deepStrictEqual(
        listed.map((d) => d.id),
        [newer.record.document.id, older.record.document.id]
      )
      assert.strictEqual(listed[1]!.problemCount, 2)
      assert.isFalse("importProblems" in listed[1]!)
      assert.deepStrictEqual(yield* repo.listByProject(crypto.randomUUID() as ProjectId), [])
    })
  )

  it.effect("parse status: pending → parsing → parsed with problems; a parsed document is not parsed again", () =>
    Effect.gen(function* () {
      const repo = yield* DocumentRepo
      const owner = yield* insertUser("owner")
      const projectId = yield* insertProject(owner)
      const { record } = yield* repo.insert(newDocument(projectId, owner, 6))
      const id = record.document.id
      const parsing = yield* repo.markParsing(id)
      assert.strictEqual(Option.getOrThrow(parsing).parseStatus, "parsing")
      // A re-run after a crash finds it parsing and may take it again.
      assert.isTrue(Option.isSome(yield* repo.markParsing(id)))
      const parsed = yield* repo.markParsed(id, [problem])
      assert.strictEqual(parsed.parseStatus, "parsed")
      assert.strictEqual(parsed.problemCount, 1)
      assert.deepStrictEqual(parsed.importProblems, [problem])
      assert.isNotNull(parsed.parsedAt)
      assert.isTrue(Option.isNone(yield* repo.markParsing(id)))
      assert.isTrue(Option.isNone(yield* repo.markParsing(crypto.randomUUID() as DocumentId)))
    })
  )

  it.effect("a failed parse keeps its problems and can be taken again by a retry", () =>
    Effect.gen(function* () {
      const repo = yield* DocumentRepo
      const owner = yield* insertUser("owner")
      const projectId = yield* insertProject(owner)
      const { record } = yield* repo.insert(newDocument(projectId, owner, 7))
      const id = record.document.id
      yield* repo.markParsing(id)
      const failed = yield* repo.markFailed(id, [{ ...problem, kind: "malformed-row", severity: "error" }])
      assert.strictEqual(failed.parseStatus, "failed")
      assert.strictEqual(failed.importProblems[0]!.kind, "malformed-row")
      const retried = yield* repo.markParsing(id)
      assert.strictEqual(Option.getOrThrow(retried).parseStatus, "parsing")
      assert.isNull(Option.getOrThrow(retried).parsedAt)
    })
  )

  it.effect("versionCreated is the version whose document_id is this document", () =>
    Effect.gen(function* () {
      const repo = yield* DocumentRepo
      const sql = yield* SqlClient.SqlClient
      const owner = yield* insertUser("owner")
      const projectId = yield* insertProject(owner)
      const { record } = yield* repo.insert(newDocument(projectId, owner, 8))
      const id = record.document.id
      yield* sql`INSERT INTO budget_versions (project_id, version, trigger_type) VALUES (${projectId}, 1, 'initial')`
      yield* sql`
        INSERT INTO budget_versions (project_id, version, parent_version, trigger_type, document_id)
        VALUES (${projectId}, 2, 1, 'document_added', ${id})`
      const parsed = yield* repo.markParsed(id, [])
      assert.strictEqual(parsed.versionCreated, 2)
      assert.strictEqual(Option.getOrThrow(yield* repo.find(id)).document.versionCreated, 2)
      assert.strictEqual((yield* repo.listByProject(projectId))[0]!.versionCreated, 2)
    })
  )

  it.effect("remove deletes the row", () =>
    Effect.gen(function* () {
      const repo = yield* DocumentRepo
      const owner = yield* insertUser("owner")
      const projectId = yield* insertProject(owner)
      const { record } = yield* repo.insert(newDocument(projectId, owner, 9))
      yield* repo.remove(record.document.id)
      assert.isTrue(Option.isNone(yield* repo.find(record.document.id)))
    })
  )
})
