// enrich_positions against real PostgreSQL, catalog_items rows and the real TSKP file: missing descriptions and units
// are filled (nothing else changes, file totals stay verbatim) as one recalculation version, only when something was
// missing; the audit of the resulting version is queued next.
import { checkTskpCode, type DecimalString, type ProjectId } from "@costline/core"
import { BudgetRepo } from "@costline/server/budget/BudgetRepo"
import { makeEnrichPositions } from "@costline/server/jobs/processors/EnrichPositions"
import { ReferenceData } from "@costline/server/jobs/processors/ReferenceData"
import { assert, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { fixturesAvailable } from "../../../../../test/support/fixtures.ts"
import {
  currentVersion,
  enqueued,
  importVerbatim,
  newProject,
  position,
  processorLayer,
  runProcessor
} from "./processorHarness.ts"

const enrich = (projectId: ProjectId, version: number) =>
  Effect.gen(function* () {
    const processor = yield* makeEnrichPositions
    return yield* runProcessor(processor, {
      id: `enrich:${projectId}:${version}`,
      type: "enrich_positions",
      projectId,
      payload: { version }
    })
  })

const insertCatalogItem = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    INSERT INTO catalog_items (catalog, code, description, unit, unit_price_low, unit_price_ref, unit_price_high)
    VALUES ('CS ÚRS 2024 01', '131251100', 'Hloubení jam nezapažených v hornině třídy těžitelnosti I', 'M3', 250, 310, 400)
    ON CONFLICT DO NOTHING`
}).pipe(Effect.orDie)

const budget = [
  // TSKP knows the class of this code; the catalogue does not know the code.
  position("a", { description: "" }),
  // The catalogue knows this one; its total is not quantity × price, and must stay as the file said.
  position("b", { code: "131251100", description: "", unit: "", total: "1.00" as DecimalString }),
  // Nothing to fill.
  position("c", { code: "999999999" })
]

const tskpAvailable = fixturesAvailable("catalog/tskp-tridnik.xml")

layer(processorLayer(), { excludeTestServices: true, timeout: "120 seconds" })("enrich_positions", (it) => {
  it.effect.skipIf(!tskpAvailable)(
    "fills missing descriptions (catalogue, else TSKP class) and units as one recalculation version",
    () =>
      Effect.gen(function* () {
        yield* insertCatalogItem
        const { projectId, userId } = yield* newProject
        yield* importVerbatim(projectId, userId, budget)
        const tskp = Option.getOrThrow(yield* (yield* ReferenceData).tskp)
        const tskpClass = checkTskpCode(tskp, "121151113")
        assert.strictEqual(tskpClass._tag, "Classified")

        const { result } = yield* enrich(projectId, 1)
        assert.deepInclude(result as object, {
          baseVersion: 1,
          version: 2,
          committed: true,
          descriptionsFilled: 2,
          unitsFilled: 1,
          priceBands: 1,
          next: `audit:${projectId}:2`
        })
        const sql = yield* SqlClient.SqlClient
        const [row] = yield* sql<{ trigger_type: string }>`
          SELECT trigger_type FROM budget_versions WHERE project_id = ${projectId} AND version = 2`.pipe(Effect.orDie)
        assert.strictEqual(row!.trigger_type, "recalculation")

        const head = yield* (yield* BudgetRepo).readHead(projectId)
        const byKey = new Map(head.positions.map((p) => [p.positionKey, p]))
        assert.strictEqual(byKey.get("a")!.description, tskpClass._tag === "Classified" ? tskpClass.item.name : "")
        assert.strictEqual(byKey.get("b")!.description, "Hloubení jam nezapažených v hornině třídy těžitelnosti I")
        assert.strictEqual(byKey.get("b")!.unit, "m3")
        // Only the empty fields changed: the wrong total the file stated is still there for the audit to see.
        assert.deepStrictEqual(byKey.get("b"), {
          ...budget[1]!,
          description: "Hloubení jam nezapažených v hornině třídy těžitelnosti I",
          unit: "m3"
        })
        assert.deepStrictEqual(byKey.get("c"), budget[2])

        const last = (yield* enqueued).at(-1)!
        assert.deepStrictEqual(
          [last.type, last.jobId, last.payload],
          ["audit_project", `audit:${projectId}:2`, { version: 2, after: `enrich:${projectId}:1` }]
        )

        // Run again (re-delivered after a crash): nothing left to fill, no third version, the same audit.
        const again = yield* enrich(projectId, 1)
        assert.deepInclude(again.result as object, { baseVersion: 2, version: 2, committed: false })
        assert.strictEqual(yield* currentVersion(projectId), 2)
      })
  )

  it.effect("nothing missing: no version, and the audit of the version as it is", () =>
    Effect.gen(function* () {
      const { projectId, userId } = yield* newProject
      yield* importVerbatim(projectId, userId, [budget[2]!])
      const { result } = yield* enrich(projectId, 1)
      assert.deepInclude(result as object, { version: 1, committed: false, descriptionsFilled: 0, unitsFilled: 0 })
      assert.strictEqual(yield* currentVersion(projectId), 1)
      assert.strictEqual((yield* enqueued).at(-1)!.jobId, `audit:${projectId}:1`)
    })
  )
})

layer(processorLayer({ tskp: false }), { excludeTestServices: true, timeout: "120 seconds" })(
  "enrich_positions without the TSKP file",
  (it) => {
    it.effect("skips TSKP and still fills from the catalogue", () =>
      Effect.gen(function* () {
        yield* insertCatalogItem
        const { projectId, userId } = yield* newProject
        yield* importVerbatim(projectId, userId, budget)
        const { result } = yield* enrich(projectId, 1)
        assert.deepInclude(result as object, { version: 2, descriptionsFilled: 1, unitsFilled: 1, tskp: null })
        const head = yield* (yield* BudgetRepo).readHead(projectId)
        assert.strictEqual(head.positions.find((p) => p.positionKey === "a")!.description, "")
      })
    )
  }
)
