import { describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import fc from "fast-check"
import { applyChangesResult } from "../../src/budget/applyChanges.ts"
import * as Money from "../../src/budget/Money.ts"
import { BudgetDiff } from "../../src/contracts/BudgetDiff.ts"
import type { Position } from "../../src/contracts/Position.ts"
import { changesFromDiff } from "../../src/diff/changesFromDiff.ts"
import { diffByKey, diffVersions } from "../../src/diff/diffVersions.ts"
import { head } from "../budget/positionFixtures.ts"
import { budgetArb, evolvedBudgetArb, shuffledArb, unrelatedBudgetsArb } from "./budgetArbitraries.ts"

const runs = { numRuns: 300 }

const sumTotals = (positions: ReadonlyArray<Position>): Money.Money =>
  Money.sum(positions.map((p) => Money.parseUnsafe(p.total)))

/** Positions without their keys, in a canonical order: the budget's content as a multiset. */
const content = (positions: ReadonlyArray<Position>): Array<string> =>
  positions.map(({ positionKey: _, ...rest }) => JSON.stringify(rest)).sort()

const bridgeHolds = (diff: BudgetDiff, before: ReadonlyArray<Position>, after: ReadonlyArray<Position>): void => {
  const b = diff.bridge
  const parts = Money.sum(
    [b.quantityEffect, b.priceEffect, b.addedScope, b.removedScope, b.rounding].map(Money.parseUnsafe)
  )
  const expected = Money.subtract(sumTotals(after), sumTotals(before))
  expect(Money.format(Money.normalize(parts))).toBe(Money.format(Money.normalize(expected)))
  expect(Money.equals(Money.parseUnsafe(b.total), expected)).toBe(true)
}

describe("diffVersions laws", () => {
  it("diff(a, a) is empty", () =>
    fc.assert(
      fc.property(budgetArb(), (a) => {
        const diff = diffVersions(a, a)
        expect([diff.added, diff.removed, diff.modified, diff.moved]).toEqual([[], [], [], []])
        expect(diff.unchangedCount).toBe(a.length)
        expect(Money.isZero(Money.parseUnsafe(diff.bridge.total))).toBe(true)
      }),
      runs
    ))

  it("added(a, b) equals removed(b, a), and the other way round", () =>
    fc.assert(
      fc.property(fc.oneof(evolvedBudgetArb, unrelatedBudgetsArb), ([a, b]) => {
        const forward = diffVersions(a, b)
        const backward = diffVersions(b, a)
        expect(forward.added).toEqual(backward.removed)
        expect(forward.removed).toEqual(backward.added)
        expect(forward.modified.length).toBe(backward.modified.length)
        expect(forward.moved.length).toBe(backward.moved.length)
      }),
      runs
    ))

  it("the cost bridge sums exactly to total(after) − total(before)", () =>
    fc.assert(
      fc.property(fc.oneof(evolvedBudgetArb, unrelatedBudgetsArb), ([a, b]) => {
        const diff = diffVersions(a, b)
        bridgeHolds(diff, a, b)
        expect(Schema.decodeUnknownSync(BudgetDiff)(diff)).toEqual(diff) // the output fits its wire contract
      }),
      runs
    ))

  it("the bridge also sums exactly when stated totals are not quantity × price", () =>
    fc.assert(
      fc.property(unrelatedBudgetsArb, fc.array(fc.integer({ min: -100_000, max: 100_000 })), ([a, b], totals) => {
        const skew = (p: Position, i: number): Position => ({
          ...p,
          total: Money.format(Money.make(BigInt(totals[i % Math.max(1, totals.length)] ?? 0), 3)) as Position["total"]
        })
        const a2 = a.map(skew)
        const b2 = b.map((p, i) => skew(p, i + 7))
        bridgeHolds(diffVersions(a2, b2), a2, b2)
      }),
      runs
    ))

  it("applying the changes a diff implies to a reproduces b (up to the keys of matched positions)", () =>
    fc.assert(
      fc.property(fc.oneof(evolvedBudgetArb, unrelatedBudgetsArb), ([a, b]) => {
        const diff = diffVersions(a, b)
        const applied = applyChangesResult(head(a), changesFromDiff(diff))
        if (Result.isFailure(applied)) throw applied.failure
        const result = applied.success.head.positions
        expect(content(result)).toEqual(content(b))
        // Matched positions keep their old identity; added ones bring theirs.
        const matchedKeys = a.map((p) => p.positionKey).filter((k) => !diff.removed.some((r) => r.positionKey === k))
        const expectedKeys = [...matchedKeys, ...diff.added.map((p) => p.positionKey)].sort()
        expect(result.map((p) => p.positionKey).sort()).toEqual(expectedKeys)
        // applyChanges diffs only what it touched; that must equal a full diff by key of the two lists.
        expect(applied.success.diff).toEqual(diffByKey(a, result, { minScale: 2 }))
        bridgeHolds(applied.success.diff, a, result)
        expect(applied.success.totals.total).toBe(Money.format(sumTotals(b), 2))
      }),
      runs
    ))

  it("the result does not depend on the input order", () =>
    fc.assert(
      fc.property(
        fc.oneof(evolvedBudgetArb, unrelatedBudgetsArb).chain(([a, b]) => fc.tuple(shuffledArb(a), shuffledArb(b))),
        ([a, b]) => {
          const sorted = (ps: ReadonlyArray<Position>) =>
            [...ps].sort((x, y) => (x.positionKey < y.positionKey ? -1 : 1))
          expect(diffVersions(a, b)).toEqual(diffVersions(sorted(a), sorted(b)))
        }
      ),
      runs
    ))
})
