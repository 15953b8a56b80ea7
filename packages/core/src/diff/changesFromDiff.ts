// Turns a diff back into the change set that performs it, so a diff against an uploaded document can become a version.
import type { BudgetDiff, FieldChange } from "../contracts/BudgetDiff.ts"
import type { Change, PositionPatch } from "../contracts/Change.ts"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** The patch that sets every changed field to its after value; `total` is left out (applyChanges recomputes it). */
export const patchFromFieldChanges = (changes: ReadonlyArray<FieldChange>): PositionPatch => {
  const patch: Mutable<PositionPatch> = {}
  for (const change of changes) {
    switch (change.field) {
      case "total":
        break
      case "quantity":
      case "unitPrice":
        patch[change.field] = change.after
        break
      case "takeoff":
        patch.takeoff = change.after
        break
      case "kind":
        patch.kind = change.after
        break
      default:
        patch[change.field] = change.after
    }
  }
  return patch
}

/**
 * Changes that turn the `before` list of `diff` into its `after` list when applied with `applyChanges`: removals,
 * then moves, then updates (one per modified position, addressed by its before key), then additions. Matched
 * positions keep their before key. The result equals `after` up to those keys, as long as `after` is priced by the
 * head's rounding (total = round(quantity × unit price)) and uses accepted units written normalised — applyChanges
 * recomputes totals and normalises units.
 */
export const changesFromDiff = (diff: BudgetDiff): Array<Change> => [
  ...diff.removed.map((position): Change => ({ _tag: "RemovePosition", positionKey: position.positionKey })),
  ...diff.moved.map(
    (move): Change => ({
      _tag: "MovePosition",
      positionKey: move.positionKey,
      objectCode: move.to.objectCode,
      sectionCode: move.to.sectionCode,
      number: move.to.number,
      objectName: move.to.objectName
    })
  ),
  ...diff.modified.map(
    (entry): Change => ({
      _tag: "UpdatePosition",
      positionKey: entry.positionKey,
      patch: patchFromFieldChanges(entry.changes)
    })
  ),
  ...diff.added.map((position): Change => ({ _tag: "AddPosition", position }))
]
