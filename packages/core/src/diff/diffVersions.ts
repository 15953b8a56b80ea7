// The semantic diff of two position lists (pure, synchronous): match, compare field by field, detect moves, bridge.
import { compareNatural, comparePlaces, comparePositions, type Placed } from "../budget/positionOrder.ts"
import type { BudgetDiff, ModifiedPosition, MovedPosition } from "../contracts/BudgetDiff.ts"
import type { Position } from "../contracts/Position.ts"
import { costBridge } from "./costBridge.ts"
import { fieldChanges, isMoved, placeOf } from "./fieldChanges.ts"
import { type Matching, matchByKey, matchPositions } from "./matchPositions.ts"

export interface DiffOptions {
  /** Least number of decimals the cost bridge is printed with (e.g. the total rounding step's); default 0. */
  readonly minScale?: number
}

/**
 * Compares two versions' positions. Positions are paired by key, then by (object, section, number, code), then by
 * (object, code, normalised description, unit), then fuzzily (same code and unit, description trigram Dice similarity
 * ≥ FUZZY_THRESHOLD = 0.8). Unpaired positions are added or removed. See BudgetDiff for the ordering of entries.
 * Positions should have distinct keys within each list; a repeated key pairs only once.
 */
export const diffVersions = (
  before: ReadonlyArray<Position>,
  after: ReadonlyArray<Position>,
  options?: DiffOptions
): BudgetDiff => diffFromMatching(matchPositions(before, after), options)

/** Like `diffVersions` but pairs by key only: what a change set did, where keys are the identity. */
export const diffByKey = (
  before: ReadonlyArray<Position>,
  after: ReadonlyArray<Position>,
  options?: DiffOptions
): BudgetDiff => diffFromMatching(matchByKey(before, after), options)

const byPlaceThenKey = (a: { readonly positionKey: string }, b: typeof a, pa: Placed, pb: Placed): number =>
  comparePlaces(pa, pb) || compareNatural(a.positionKey, b.positionKey)

/**
 * Builds the diff of an already computed matching. `untouched` counts further positions known to be identical that
 * are left out of the matching (applyChanges passes the positions no change touched, to stay O(changes)).
 */
export const diffFromMatching = (
  matching: Matching,
  options?: DiffOptions & { readonly untouched?: number }
): BudgetDiff => {
  const modified: Array<ModifiedPosition> = []
  const moved: Array<MovedPosition> = []
  let unchangedCount = options?.untouched ?? 0
  for (const { before, after, stage, similarity } of matching.pairs) {
    const changes = fieldChanges(before, after)
    const wasMoved = isMoved(before, after)
    if (changes.length === 0 && !wasMoved) {
      unchangedCount++
      continue
    }
    const matched = { positionKey: before.positionKey, afterKey: after.positionKey, matchedBy: stage, similarity }
    if (changes.length > 0) modified.push({ ...matched, place: placeOf(after), changes })
    if (wasMoved) moved.push({ ...matched, from: placeOf(before), to: placeOf(after) })
  }
  modified.sort((a, b) => byPlaceThenKey(a, b, a.place, b.place))
  moved.sort((a, b) => byPlaceThenKey(a, b, a.to, b.to))
  return {
    added: [...matching.added].sort(comparePositions),
    removed: [...matching.removed].sort(comparePositions),
    modified,
    moved,
    unchangedCount,
    bridge: costBridge(matching, options?.minScale ?? 0)
  }
}
