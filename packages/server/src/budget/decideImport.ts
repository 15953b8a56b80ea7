// What importing parsed positions into a budget means: the next version and its trigger, or null when nothing changes.
// Shared by the project actor and BudgetWriter.layerDirect (no cluster), so the two paths cannot drift.
import {
  type ApplyChangesResult,
  applyChanges,
  type BudgetHead,
  type BudgetSettings,
  type Position,
  type TriggerType
} from "@costline/core"
import { Effect } from "effect"
import { mergeImport } from "./mergeImport.ts"

/**
 * What an import of `positions` does to `current`: the next version and its trigger, or null when the import changes
 * nothing. Imports are stored verbatim (RestoreVersion), so the audit sees a file's own totals.
 */
export const decideImport = (
  current: BudgetHead,
  positions: ReadonlyArray<Position>,
  settings: BudgetSettings
): Effect.Effect<{ readonly result: ApplyChangesResult; readonly trigger: TriggerType } | null> =>
  Effect.gen(function* () {
    // The first document decides the budget's rounding and currency; later ones are merged into it.
    const head = current.version === 0 ? { ...current, settings } : current
    const merged = mergeImport(head.positions, positions)
    // A parsed document only holds valid keys and numbers; a failure here is a bug, not bad input.
    const result = yield* applyChanges(head, [
      { _tag: "RestoreVersion", version: head.version, positions: merged }
    ]).pipe(Effect.orDie)
    const diff = result.diff
    const changed = diff.added.length + diff.removed.length + diff.modified.length + diff.moved.length > 0
    if (!changed && current.version > 0) return null
    return { result, trigger: current.version === 0 ? "initial" : "document_added" }
  })
