// recalculate_budget's re-pricing against real PostgreSQL: positions whose stored total is not round(quantity × unit
// price) by the budget's own rounding are re-priced as one recalculation version; a budget that is right gets none.
import { type BudgetSettings, type DecimalString, defaultBudgetSettings, type ProjectId } from "@costline/core"
import { BudgetRepo } from "@costline/server/budget/BudgetRepo"
import { makeRecalculateBudget } from "@costline/server/jobs/RecalculateBudget"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import {
  currentVersion,
  importVerbatim,
  newProject,
  position,
  processorLayer,
  runProcessor
} from "./processors/processorHarness.ts"

const recalculate = (projectId: ProjectId) =>
  Effect.gen(function* () {
    const processor = yield* makeRecalculateBudget
    return yield* runProcessor(processor, { id: "recalc", type: "recalculate_budget", projectId, payload: {} })
  })

// Totals to whole crowns (KROS "zaokrouhlení 1"): 10 × 25.55 = 255.50 → 256.
const wholeCrowns: BudgetSettings = {
  ...defaultBudgetSettings,
  rounding: { ...defaultBudgetSettings.rounding, total: "1" as BudgetSettings["rounding"]["total"] }
}

layer(processorLayer(), { excludeTestServices: true, timeout: "120 seconds" })("recalculate_budget", (it) => {
  it.effect("re-prices wrong totals with the budget's rounding as one recalculation version", () =>
    Effect.gen(function* () {
      const { projectId, userId } = yield* newProject
      yield* importVerbatim(
        projectId,
        userId,
        [
          position("right", { unitPrice: "25.55" as DecimalString, total: "256" as DecimalString }),
          // Right to the cent, wrong for this budget's rounding to whole crowns.
          position("cents", { unitPrice: "25.55" as DecimalString, total: "255.50" as DecimalString }),
          position("wrong", { total: "999.00" as DecimalString })
        ],
        wholeCrowns
      )

      const { result } = yield* recalculate(projectId)
      assert.deepInclude(result as object, { version: 1, repriced: 2, newVersion: 2, newTotal: "767" })
      const head = yield* (yield* BudgetRepo).readHead(projectId)
      assert.deepStrictEqual(
        head.positions.map((p) => [p.positionKey, p.total]),
        [
          ["right", "256"],
          ["cents", "256"],
          ["wrong", "255"]
        ]
      )
      const sql = yield* SqlClient.SqlClient
      const [row] = yield* sql<{ trigger_type: string }>`
        SELECT trigger_type FROM budget_versions WHERE project_id = ${projectId} AND version = 2`.pipe(Effect.orDie)
      assert.strictEqual(row!.trigger_type, "recalculation")

      // Now every total is right: no further version.
      const again = yield* recalculate(projectId)
      assert.deepInclude(again.result as object, { version: 2, repriced: 0, newVersion: null, matches: true })
      assert.strictEqual(yield* currentVersion(projectId), 2)
    })
  )
})
