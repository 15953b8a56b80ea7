// Versions as revision rows against real PostgreSQL: a commit writes only the changed rows, every version reads back
// exactly, a stale commit is refused, and each commit journals its VersionCreated event.
import {
  applyChanges,
  type Change,
  type DecimalString,
  defaultBudgetSettings,
  type Position,
  type ProjectId
} from "@costline/core"
import { BudgetRepo } from "@costline/server/budget/BudgetRepo"
import { EventBus } from "@costline/server/events/EventBus"
import { ProjectEventLog } from "@costline/server/events/ProjectEventLog"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { TestDatabase } from "../../../../test/support/TestDatabase.ts"

const Live = BudgetRepo.layer.pipe(
  Layer.provideMerge(ProjectEventLog.layer.pipe(Layer.provide(EventBus.layerMemory))),
  Layer.provideMerge(TestDatabase.layerMigrated)
)

const position = (key: string, quantity: string, unitPrice: string, number = key): Position => ({
  positionKey: key,
  objectCode: "SO 1",
  objectName: "Dům",
  sectionCode: "1",
  number,
  code: "121151113",
  catalog: "CS ÚRS 2025 01",
  description: `Položka ${key}`,
  unit: "m2",
  quantity: quantity as DecimalString,
  unitPrice: unitPrice as DecimalString,
  total: "0.00" as DecimalString,
  takeoff: [{ text: `${quantity}`, quantity: quantity as DecimalString }],
  note: "",
  kind: "work",
  source: "uploaded",
  status: "unaudited",
  confidence: null
})

const newProject = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [user] = yield* sql<{ id: string }>`
    INSERT INTO users (email, password_hash, full_name)
    VALUES (${`budget-${crypto.randomUUID()}@example.com`}, 'x', 'B') RETURNING id`
  const [project] = yield* sql<{ id: string }>`
    INSERT INTO projects (name, owner_id) VALUES ('Budget', ${user!.id}) RETURNING id`
  return project!.id as ProjectId
}).pipe(Effect.orDie)

const commitChanges = (projectId: ProjectId, changes: ReadonlyArray<Change>) =>
  Effect.gen(function* () {
    const repo = yield* BudgetRepo
    const head = yield* repo.readHead(projectId)
    const result = yield* Effect.orDie(applyChanges(head, changes))
    return yield* repo.commit({
      projectId,
      expectedVersion: head.version,
      trigger: head.version === 0 ? "initial" : "user_edit",
      createdBy: null,
      result
    })
  })

layer(Live, { excludeTestServices: true, timeout: "60 seconds" })("BudgetRepo", (it) => {
  it.effect("writes O(k) rows per version and reads every version back exactly", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const repo = yield* BudgetRepo
      const projectId = yield* newProject
      const initial = ["a", "b", "c", "d"].map((key) => position(key, "10.000", "2.50"))
      const v1 = yield* commitChanges(
        projectId,
        initial.map((p) => ({ _tag: "AddPosition", position: p }))
      )
      assert.strictEqual(v1.version, 1)
      assert.strictEqual(v1.parent, null)
      assert.strictEqual(v1.totals.total, "100.00")

      const v2 = yield* commitChanges(projectId, [
        { _tag: "UpdatePosition", positionKey: "b", patch: { quantity: "12.000" as DecimalString } },
        { _tag: "RemovePosition", positionKey: "c" },
        { _tag: "AddPosition", position: position("e", "1.000", "0.10") }
      ])
      assert.strictEqual(v2.version, 2)
      assert.strictEqual(v2.totals.total, "80.10")
      assert.strictEqual(v2.deltaCost, "-19.90")

      // Version 2 wrote the changed position and the new one, nothing for a, c (closed) or d.
      const written = yield* sql<{ position_key: string }>`
        SELECT position_key FROM positions WHERE project_id = ${projectId} AND valid_from = 2 ORDER BY position_key`
      assert.deepStrictEqual(
        written.map((row) => row.position_key),
        ["b", "e"]
      )

      const read1 = Option.getOrThrow(yield* repo.readVersion(projectId, 1))
      assert.deepStrictEqual(
        read1.positions.map((p) => [p.positionKey, p.quantity, p.total]),
        [
          ["a", "10.000", "25.00"],
          ["b", "10.000", "25.00"],
          ["c", "10.000", "25.00"],
          ["d", "10.000", "25.00"]
        ]
      )
      assert.deepStrictEqual(read1.positions[0]!.takeoff, [{ text: "10.000", quantity: "10.000" as DecimalString }])
      const head = yield* repo.readHead(projectId)
      assert.strictEqual(head.version, 2)
      assert.deepStrictEqual(head.settings, defaultBudgetSettings)
      assert.deepStrictEqual(head.positions.map((p) => [p.positionKey, p.quantity, p.total]).sort(), [
        ["a", "10.000", "25.00"],
        ["b", "12.000", "30.00"],
        ["d", "10.000", "25.00"],
        ["e", "1.000", "0.10"]
      ])
      assert.isTrue(Option.isNone(yield* repo.readVersion(projectId, 7)))

      const [project] = yield* sql<{ current_version: number; total_cost: string; unaudited_count: number }>`
        SELECT current_version, total_cost::text AS total_cost, unaudited_count FROM projects WHERE id = ${projectId}`
      assert.deepStrictEqual(
        { ...project!, current_version: Number(project!.current_version) },
        {
          current_version: 2,
          total_cost: "80.10",
          unaudited_count: 4
        }
      )
      const journal = yield* sql<{ seq: string; type: string }>`
        SELECT seq, type FROM project_events WHERE project_id = ${projectId} ORDER BY seq`
      assert.deepStrictEqual(
        journal.map((row) => [Number(row.seq), row.type]),
        [
          [1, "VersionCreated"],
          [2, "VersionCreated"]
        ]
      )
    }).pipe(Effect.orDie)
  )

  it.effect("refuses a commit based on a stale version and writes nothing", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const repo = yield* BudgetRepo
      const projectId = yield* newProject
      yield* commitChanges(projectId, [{ _tag: "AddPosition", position: position("a", "1.000", "1.00") }])
      const stale = yield* repo.readVersion(projectId, 0).pipe(Effect.map(Option.getOrThrow))
      const result = yield* Effect.orDie(
        applyChanges(stale, [{ _tag: "AddPosition", position: position("z", "1.000", "1.00") }])
      )
      const error = yield* Effect.flip(
        repo.commit({ projectId, expectedVersion: 0, trigger: "user_edit", createdBy: null, result })
      )
      assert.strictEqual(error._tag, "VersionConflict")
      assert.strictEqual(error.currentVersion, 1)
      const rows = yield* sql<{ n: string }>`SELECT count(*) AS n FROM positions WHERE project_id = ${projectId}`
      assert.strictEqual(Number(rows[0]!.n), 1)
      const versions = yield* sql<{ n: string }>`
        SELECT count(*) AS n FROM budget_versions WHERE project_id = ${projectId}`
      assert.strictEqual(Number(versions[0]!.n), 1)
    }).pipe(Effect.orDie)
  )
})
