// The project actor against real PostgreSQL: imports of real budgets become versions verbatim and keep their keys
// across formats; change sets apply one at a time, so concurrent commands on the same version yield one winner.
import { type DecimalString, type ParsedBudget, type ProjectId, parseBudget } from "@costline/core"
import { ProjectActor, ProjectActorLayer } from "@costline/server/actors/ProjectActor"
import { BudgetRepo } from "@costline/server/budget/BudgetRepo"
import { EventBus } from "@costline/server/events/EventBus"
import { ProjectEventLog } from "@costline/server/events/ProjectEventLog"
import { ProjectHub } from "@costline/server/events/ProjectHub"
import { JobQueue } from "@costline/server/jobs/JobQueue"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestRunner } from "effect/cluster"
import { SqlClient } from "effect/sql"
import { fixturesAvailable, readFixture } from "../../../../test/support/fixtures.ts"
import { TestDatabase } from "../../../../test/support/TestDatabase.ts"

const Events = ProjectHub.layer.pipe(
  Layer.provideMerge(ProjectEventLog.layer),
  Layer.provideMerge(EventBus.layerMemory)
)
const Live = ProjectActorLayer.pipe(
  Layer.provideMerge(TestRunner.layer),
  Layer.provide(JobQueue.layerInProcess.pipe(Layer.provideMerge(JobRepo.layer))),
  Layer.provideMerge(BudgetRepo.layer),
  Layer.provideMerge(Events),
  Layer.provideMerge(TestDatabase.layerMigrated)
)

const newProject = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [user] = yield* sql<{ id: string }>`
    INSERT INTO users (email, password_hash, full_name)
    VALUES (${`actor-${crypto.randomUUID()}@example.com`}, 'x', 'A') RETURNING id`
  const [project] = yield* sql<{ id: string }>`
    INSERT INTO projects (name, owner_id) VALUES ('Actor', ${user!.id}) RETURNING id`
  return project!.id as ProjectId
}).pipe(Effect.orDie)

const parse = (file: string) => Effect.orDie(parseBudget(readFixture(file)!, { fileName: file }))

const importInto = (projectId: ProjectId, parsed: ParsedBudget) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const sha256 = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0")).join(
      ""
    )
    const [document] = yield* sql<{ id: string }>`
      INSERT INTO project_documents (project_id, file_name, content_type, size_bytes, sha256, blob_key, format)
      VALUES (${projectId}, 'budget', 'application/octet-stream', 1, ${sha256}, ${sha256}, 'unixml') RETURNING id`
    const actor = (yield* ProjectActor.client)(projectId)
    return yield* actor.ImportPositions({
      documentId: document!.id,
      positions: parsed.positions,
      settings: parsed.settings,
      requestedBy: null
    })
  }).pipe(Effect.orDie)

const realData = fixturesAvailable("boq/rd-valcha.unixml.xml", "boq/rd-valcha.xlsx")

layer(Live, { excludeTestServices: true, timeout: "120 seconds" })("ProjectActor", (it) => {
  it.effect.skipIf(!realData)("imports a real budget verbatim; the same budget from XLSX keeps every key", () =>
    Effect.gen(function* () {
      const budgets = yield* BudgetRepo
      const projectId = yield* newProject
      const unixml = yield* parse("boq/rd-valcha.unixml.xml")
      const first = yield* importInto(projectId, unixml)
      assert.isNotNull(first)
      assert.strictEqual(first!.version, 1)
      assert.strictEqual(first!.trigger, "initial")
      assert.strictEqual(first!.totals.positionCount, 298)
      const head = yield* budgets.readHead(projectId)
      assert.deepStrictEqual(head.positions, unixml.positions)

      // The same file again changes nothing and makes no version.
      assert.isNull(yield* importInto(projectId, unixml))

      const xlsx = yield* parse("boq/rd-valcha.xlsx")
      const second = yield* importInto(projectId, xlsx)
      // Same positions in another format: matched, none added or removed (the XLSX lacks the catalogue name).
      if (second !== null) {
        assert.strictEqual(second.trigger, "document_added")
        assert.strictEqual(second.changeSummary.added, 0)
        assert.strictEqual(second.changeSummary.removed, 0)
      }
      const after = yield* budgets.readHead(projectId)
      assert.deepStrictEqual(
        after.positions.map((p) => p.positionKey).sort(),
        head.positions.map((p) => p.positionKey).sort()
      )
    })
  )

  it.effect("applies change sets one at a time: of ten concurrent edits of version 1, one wins", () =>
    Effect.gen(function* () {
      const projectId = yield* newProject
      const actor = (yield* ProjectActor.client)(projectId)
      const base = {
        objectCode: "SO 1",
        objectName: "Dům",
        sectionCode: "1",
        code: "121151113",
        catalog: "",
        description: "Sejmutí ornice",
        unit: "m2",
        quantity: "10.000" as DecimalString,
        unitPrice: "2.00" as DecimalString,
        total: "20.00" as DecimalString,
        takeoff: [],
        note: "",
        kind: "work" as const,
        source: "manual" as const,
        status: "unaudited" as const,
        confidence: null
      }
      yield* actor.ApplyChanges({
        expectedVersion: 0,
        changes: [{ _tag: "AddPosition", position: { ...base, positionKey: "a", number: "1" } }],
        trigger: "user_edit",
        requestedBy: null
      })
      const attempts = yield* Effect.forEach(
        Array.from({ length: 10 }, (_, i) => i),
        (i) =>
          Effect.result(
            actor.ApplyChanges({
              expectedVersion: 1,
              changes: [
                { _tag: "UpdatePosition", positionKey: "a", patch: { quantity: `${i + 1}.000` as DecimalString } }
              ],
              trigger: "user_edit",
              requestedBy: null
            })
          ),
        { concurrency: "unbounded" }
      )
      const wins = attempts.filter((attempt) => attempt._tag === "Success")
      const conflicts = attempts.filter(
        (attempt) => attempt._tag === "Failure" && attempt.failure._tag === "VersionConflict"
      )
      assert.strictEqual(wins.length, 1)
      assert.strictEqual(conflicts.length, 9)

      const invalid = yield* Effect.flip(
        actor.ApplyChanges({
          expectedVersion: 2,
          changes: [
            { _tag: "UpdatePosition", positionKey: "a", patch: { description: "ok" } },
            { _tag: "RemovePosition", positionKey: "missing" }
          ],
          trigger: "user_edit",
          requestedBy: null
        })
      )
      assert.strictEqual(invalid._tag, "ChangeError")
      if (invalid._tag === "ChangeError") assert.strictEqual(invalid.changeIndex, 1)
      const head = yield* (yield* BudgetRepo).readHead(projectId)
      assert.strictEqual(head.version, 2)
      assert.strictEqual(head.positions[0]!.description, "Sejmutí ornice")
    })
  )
})
