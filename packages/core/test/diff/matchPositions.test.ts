// matchPositions pairs by key without sorting when keys are unique; it must pair exactly as the reference (sort both
// lists first, then the four stages) does — also when keys repeat, where it takes the sorted path itself.
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import type { Position } from "../../src/contracts/Position.ts"
import { type Matching, matchPositions, matchPositionsSorted } from "../../src/diff/matchPositions.ts"
import { evolvedBudgetArb, shuffledArb, unrelatedBudgetsArb } from "./budgetArbitraries.ts"

/** A matching as a value: pairs (by the two positions' keys and places) in a canonical order, added and removed. */
const canonical = (m: Matching) => ({
  pairs: m.pairs
    .map(
      (p) =>
        `${p.before.positionKey}|${p.before.number}→${p.after.positionKey}|${p.after.number}:${p.stage}:${p.similarity}`
    )
    .sort(),
  added: m.added.map((p) => `${p.positionKey}|${p.number}`),
  removed: m.removed.map((p) => `${p.positionKey}|${p.number}`)
})

const withRepeatedKeys = (positions: ReadonlyArray<Position>, every: number): Array<Position> =>
  positions.map((p, i) => (i % every === 0 && i > 0 ? { ...p, positionKey: positions[i - 1]!.positionKey } : p))

describe("matchPositions", () => {
  it("pairs exactly as the sorted reference, in any input order", () =>
    fc.assert(
      fc.property(
        fc.oneof(evolvedBudgetArb, unrelatedBudgetsArb).chain(([a, b]) => fc.tuple(shuffledArb(a), shuffledArb(b))),
        ([a, b]) => {
          expect(canonical(matchPositions(a, b))).toEqual(canonical(matchPositionsSorted(a, b)))
        }
      ),
      { numRuns: 300 }
    ))

  it("pairs exactly as the sorted reference when keys repeat on either side", () =>
    fc.assert(
      fc.property(
        fc.oneof(evolvedBudgetArb, unrelatedBudgetsArb),
        fc.integer({ min: 2, max: 4 }),
        fc.boolean(),
        ([a, b], every, side) => {
          const before = side ? withRepeatedKeys(a, every) : a
          const after = side ? b : withRepeatedKeys(b, every)
          expect(canonical(matchPositions(before, after))).toEqual(canonical(matchPositionsSorted(before, after)))
          // With repeated keys, ties in the sort make even the reference depend on input order; compare on the same.
          const [rb, ra] = [[...before].reverse(), [...after].reverse()]
          expect(canonical(matchPositions(rb, ra))).toEqual(canonical(matchPositionsSorted(rb, ra)))
        }
      ),
      { numRuns: 300 }
    ))
})
