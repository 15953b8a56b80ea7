// audit_project against real PostgreSQL: opinions and resolutions of a version are stored once however often the job
// runs, the project's green/amber/red counts follow them (with a ProjectUpdated event) while the version is the head,
// and progress names each expert.
import { builtinExperts, type DecimalString, type ProjectId, parseBudget } from "@costline/core"
import { makeAuditProject } from "@costline/server/jobs/processors/AuditProject"
import { BudgetWriter } from "@costline/server/jobs/processors/BudgetWriter"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { fixturesAvailable, readFixture } from "../../../../../test/support/fixtures.ts"
import { journal } from "../jobFixtures.ts"
import { importVerbatim, newProject, position, processorLayer, runProcessor } from "./processorHarness.ts"

const audit = (projectId: ProjectId, payload: unknown) =>
  Effect.gen(function* () {
    const processor = yield* makeAuditProject
    return yield* runProcessor(processor, { id: `audit:${projectId}`, type: "audit_project", projectId, payload })
  })

const stored = (projectId: ProjectId) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<{ version: number; kind: string; n: string }>`
      SELECT version, kind, count(*) AS n FROM audit_results WHERE project_id = ${projectId}
      GROUP BY version, kind ORDER BY version, kind`
  }).pipe(
    Effect.orDie,
    Effect.map((rows) => rows.map((row) => [Number(row.version), row.kind, Number(row.n)]))
  )

const counts = (projectId: ProjectId) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{ green_count: number; amber_count: number; red_count: number; unaudited_count: number }>`
      SELECT green_count, amber_count, red_count, unaudited_count FROM projects WHERE id = ${projectId}`
    return { green: row!.green_count, amber: row!.amber_count, red: row!.red_count, unaudited: row!.unaudited_count }
  }).pipe(Effect.orDie)

/** Three positions: one right, one whose total is not quantity × price, one with a unit no budget uses. */
const budget = [
  position("a"),
  position("b", { total: "999.00" as DecimalString }),
  position("c", { code: "131251100", description: "Hloubení jam", unit: "m3" })
]

layer(processorLayer(), { excludeTestServices: true, timeout: "120 seconds" })("audit_project", (it) => {
  it.effect("stores opinions and one resolution per position once per version, and moves the counts", () =>
    Effect.gen(function* () {
      const { projectId, userId } = yield* newProject
      yield* importVerbatim(projectId, userId, budget)
      assert.deepStrictEqual(yield* counts(projectId), { green: 0, amber: 0, red: 0, unaudited: 3 })

      const { result, progress } = yield* audit(projectId, { version: 1 })
      const first = result as { counts: { green: number; amber: number; red: number }; opinionCount: number }
      assert.strictEqual(first.counts.green + first.counts.amber + first.counts.red, 3)
      // The arithmetic check catches b.
      assert.isAtLeast(first.counts.red, 1)
      assert.deepInclude(result as object, { version: 1, positionCount: 3, countsUpdated: true })
      const rows = yield* stored(projectId)
      assert.deepStrictEqual(rows, [
        [1, "opinion", first.opinionCount],
        [1, "resolution", 3]
      ])
      assert.deepStrictEqual(yield* counts(projectId), { ...first.counts, unaudited: 0 })

      // One progress step per expert, each naming it.
      for (const expert of builtinExperts) {
        assert.isTrue(
          progress.some((update) => update.message.includes(expert.name)),
          `no progress names ${expert.name}`
        )
      }
      assert.deepStrictEqual(
        progress.map((update) => update.step),
        Array.from({ length: builtinExperts.length + 2 }, (_, i) => i + 1)
      )

      // The project's subscribers hear the new counts.
      const updated = (yield* journal(projectId)).filter((event) => event.type === "ProjectUpdated")
      assert.strictEqual(updated.length, 1)
      assert.deepStrictEqual((updated[0]!.payload.project as { statusCounts: unknown }).statusCounts, {
        ...first.counts,
        unaudited: 0
      })

      // A re-run (a crash after storing, a re-delivery) replaces the rows instead of adding to them.
      yield* audit(projectId, { version: 1 })
      assert.deepStrictEqual(yield* stored(projectId), rows)
      assert.deepStrictEqual(yield* counts(projectId), { ...first.counts, unaudited: 0 })
    })
  )

  it.effect("an audit of a version the budget has moved past stores its results but leaves the counts alone", () =>
    Effect.gen(function* () {
      const { projectId, userId } = yield* newProject
      yield* importVerbatim(projectId, userId, budget)
      yield* (yield* BudgetWriter)
        .applyChanges(projectId, {
          expectedVersion: 1,
          changes: [{ _tag: "RemovePosition", positionKey: "c" }],
          trigger: "user_edit",
          requestedBy: null
        })
        .pipe(Effect.orDie)
      const { result } = yield* audit(projectId, { version: 1 })
      assert.deepInclude(result as object, { version: 1, countsUpdated: false })
      assert.deepStrictEqual(yield* counts(projectId), { green: 0, amber: 0, red: 0, unaudited: 2 })
      assert.deepInclude(yield* stored(projectId), [1, "resolution", 3])

      // Without a version: the head.
      const head = yield* audit(projectId, {})
      assert.deepInclude(head.result as object, { version: 2, positionCount: 2, countsUpdated: true })
      assert.strictEqual((yield* counts(projectId)).unaudited, 0)
    })
  )

  it.effect("a project without a budget has nothing to audit: a permanent failure", () =>
    Effect.gen(function* () {
      const { projectId } = yield* newProject
      const failure = yield* Effect.flip(audit(projectId, {}))
      assert.strictEqual(failure._tag, "PermanentJobFailure")
      assert.include(failure.message, "no version 0")
    })
  )

  it.effect.skipIf(!fixturesAvailable("boq/rd-valcha.unixml.xml", "catalog/tskp-tridnik.xml"))(
    "audits the real rd-valcha budget with the TSKP classifier: one resolution for each of its 298 positions",
    () =>
      Effect.gen(function* () {
        const { projectId, userId } = yield* newProject
        const parsed = yield* Effect.orDie(parseBudget(readFixture("boq/rd-valcha.unixml.xml")!))
        yield* importVerbatim(projectId, userId, parsed.positions, parsed.settings)
        const { result } = yield* audit(projectId, { version: 1 })
        const outcome = result as {
          counts: { green: number; amber: number; red: number }
          tskp: string | null
          failures: ReadonlyArray<unknown>
        }
        assert.strictEqual(outcome.counts.green + outcome.counts.amber + outcome.counts.red, 298)
        assert.isNotNull(outcome.tskp)
        assert.deepStrictEqual(outcome.failures, [])
        assert.deepInclude(yield* stored(projectId), [1, "resolution", 298])
      })
  )
})
