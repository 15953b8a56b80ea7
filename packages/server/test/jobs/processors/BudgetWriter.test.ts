// The cluster-less way of writing versions (BudgetWriter.layerDirect) against real PostgreSQL: imports racing each other
// and an edit all land, one version each, none lost or doubled; a change set on a stale version is refused like the
// actor refuses it.
import { type DecimalString, defaultBudgetSettings } from "@costline/core"
import { BudgetRepo } from "@costline/server/budget/BudgetRepo"
import { BudgetWriter } from "@costline/server/jobs/processors/BudgetWriter"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { currentVersion, newProject, position, processorLayer, storeDocument } from "./processorHarness.ts"

layer(processorLayer(), { excludeTestServices: true, timeout: "120 seconds" })("BudgetWriter.layerDirect", (it) => {
  it.effect("concurrent imports of different documents each make one version; the head holds all of them", () =>
    Effect.gen(function* () {
      const { projectId, userId } = yield* newProject
      const writer = yield* BudgetWriter
      const documents = yield* Effect.forEach([1, 2, 3, 4], (n) =>
        storeDocument(projectId, userId, new TextEncoder().encode(`document ${n}`), `${n}.csv`)
      )
      const versions = yield* Effect.forEach(
        documents,
        (documentId, n) =>
          writer.importPositions(projectId, {
            documentId,
            // Each document adds its own object, so the head after all four has all of them.
            positions: [position(`SO 0${n}/1/1`, { objectCode: `SO 0${n}`, number: "1" })],
            settings: defaultBudgetSettings,
            requestedBy: userId
          }),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(versions.map((version) => version?.version).sort(), [1, 2, 3, 4])
      assert.strictEqual(yield* currentVersion(projectId), 4)
      const sql = yield* SqlClient.SqlClient
      const linked = yield* sql<{ document_id: string }>`
        SELECT document_id FROM budget_versions WHERE project_id = ${projectId} ORDER BY version`.pipe(Effect.orDie)
      assert.sameMembers(
        linked.map((row) => row.document_id),
        [...documents]
      )
    })
  )

  it.effect("a change set against a version the budget has left is refused with VersionConflict", () =>
    Effect.gen(function* () {
      const { projectId, userId } = yield* newProject
      const writer = yield* BudgetWriter
      const change = (expectedVersion: number, key: string) =>
        writer.applyChanges(projectId, {
          expectedVersion,
          changes: [{ _tag: "AddPosition", position: position(key, { total: "1.00" as DecimalString }) }],
          trigger: "user_edit",
          requestedBy: userId
        })
      yield* change(0, "a").pipe(Effect.orDie)
      const conflict = yield* Effect.flip(change(0, "b"))
      assert.strictEqual(conflict._tag, "VersionConflict")
      const head = yield* (yield* BudgetRepo).readHead(projectId)
      assert.deepStrictEqual(
        head.positions.map((p) => [p.positionKey, p.total]),
        [["a", "255.00"]]
      )
    })
  )
})
