// The record of a new budget version, built from what applyChanges returned and who/when/why (all given: core is pure).
import type { BudgetDiff } from "../contracts/BudgetDiff.ts"
import type { BudgetVersion, ChangeSummary, TriggerType, VersionNumber } from "../contracts/BudgetVersion.ts"
import type { UserId } from "../contracts/Ids.ts"
import type { ApplyChangesResult } from "./applyChanges.ts"

export const changeSummaryOf = (diff: BudgetDiff): ChangeSummary => ({
  added: diff.added.length,
  removed: diff.removed.length,
  modified: diff.modified.length,
  moved: diff.moved.length,
  unchanged: diff.unchangedCount
})

export const makeBudgetVersion = (input: {
  readonly result: ApplyChangesResult
  /** The version the change set was applied to; null for the initial version. */
  readonly parent: VersionNumber | null
  readonly trigger: TriggerType
  readonly createdBy: UserId | null
  /** ISO 8601, from the caller's Clock. */
  readonly createdAt: string
}): BudgetVersion => ({
  version: input.result.head.version,
  parent: input.parent,
  trigger: input.trigger,
  createdBy: input.createdBy,
  createdAt: input.createdAt,
  settings: input.result.head.settings,
  totals: input.result.totals,
  changeSummary: changeSummaryOf(input.result.diff),
  deltaCost: input.result.diff.bridge.total
})
