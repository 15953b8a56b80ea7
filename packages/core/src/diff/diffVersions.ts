// The semantic diff of two position lists (pure, synchronous): match, compare field by field, detect moves, bridge.
import { compareNatural, comparePlaces, comparePositions, type Placed } from "../budget/positionOrder.ts"
import type { BudgetDiff, DiffField, ModifiedPosition, MovedPosition } from "../contracts/BudgetDiff.ts"
import type { Position } from "../contracts/Position.ts"
import { bridgePair, bridgeResult, bridgeScope, emptyBridge } from "./costBridge.ts"
import { fieldChanges, isMoved, placeOf } from "./fieldChanges.ts"
import { type Matching, matchByKey, matchForDiff } from "./matchPositions.ts"

export interface DiffOptions {
  /** Least number of decimals the cost bridge is printed with (e.g. the total rounding step's); default 0. */
  readonly minScale?: number
  /**
   * The fields compared for `modified` (default: all of `diffFields`). Leave out what one side cannot carry, e.g.
   * `catalog` when comparing a KROS XLSX export that states no price system with a UNIXML import that does.
   * Matching, moves and the cost bridge do not depend on it.
   */
  readonly fields?: ReadonlyArray<DiffField>
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
): BudgetDiff => {
  // Pairs identical in every compared field are counted as unchanged without being listed.
  const { matching, identical } = matchForDiff(before, after, true)
  return diffFromMatching(matching, { ...options, untouched: identical })
}

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
  const compared = options?.fields === undefined ? undefined : new Set(options.fields)
  const bridge = emptyBridge(options?.minScale ?? 0)
  for (const { before, after, stage, similarity } of matching.pairs) {
    // One pass over the pairs for fields, moves and the bridge: at 100k positions reading them is the cost.
    bridgePair(bridge, before, after)
    const all = fieldChanges(before, after)
    const changes = compared === undefined || all.length === 0 ? all : all.filter((c) => compared.has(c.field))
    const wasMoved = isMoved(before, after)
    if (changes.length === 0 && !wasMoved) {
      unchangedCount++
      continue
    }
    const matched = { positionKey: before.positionKey, afterKey: after.positionKey, matchedBy: stage, similarity }
    if (changes.length > 0) modified.push({ ...matched, place: placeOf(after), changes })
    if (wasMoved) moved.push({ ...matched, from: placeOf(before), to: placeOf(after) })
  }
  bridgeScope(bridge, matching.added, matching.removed)
  modified.sort((a, b) => byPlaceThenKey(a, b, a.place, b.place))
  moved.sort((a, b) => byPlaceThenKey(a, b, a.to, b.to))
  return {
    added: [...matching.added].sort(comparePositions),
    removed: [...matching.removed].sort(comparePositions),
    modified,
    moved,
    unchangedCount,
    bridge: bridgeResult(bridge)
  }
}
