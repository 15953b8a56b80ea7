import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { applyChanges } from "../../src/budget/applyChanges.ts"
import { summarizeBudget } from "../../src/budget/summarizeBudget.ts"
import type { Change } from "../../src/contracts/Change.ts"
import { defaultRounding } from "../../src/contracts/Rounding.ts"
import { head, position } from "./positionFixtures.ts"

describe("summarizeBudget", () => {
  it("sums 100,000 totals of 0.10 to exactly 10000.00, per object and section too", () => {
    const positions = Array.from({ length: 100_000 }, (_, i) =>
      position({
        positionKey: `k${i}`,
        objectCode: `SO ${i % 4}`,
        sectionCode: `${i % 10}`,
        number: `${i}`,
        quantity: "1.000",
        unitPrice: "0.10",
        total: "0.10"
      })
    )
    const started = performance.now()
    const totals = summarizeBudget(positions, defaultRounding)
    const elapsed = performance.now() - started
    expect(totals.total).toBe("10000.00")
    expect(totals.positionCount).toBe(100_000)
    expect(totals.objects.map((o) => [o.objectCode, o.total])).toEqual([
      ["SO 0", "2500.00"],
      ["SO 1", "2500.00"],
      ["SO 2", "2500.00"],
      ["SO 3", "2500.00"]
    ])
    expect(totals.sections).toHaveLength(20) // i % 4 and i % 10 pair up as 20 (object, section) combinations
    expect(totals.sections.every((s) => s.total === "500.00")).toBe(true)
    expect(elapsed).toBeLessThan(2_000)
  })

  it.effect("applyChanges on 100,000 positions adds 100,000 × 0.1 exactly", () =>
    Effect.gen(function* () {
      const changes: Array<Change> = Array.from({ length: 100_000 }, (_, i) => ({
        _tag: "AddPosition",
        position: position({ positionKey: `k${i}`, number: `${i}`, quantity: "1", unitPrice: "0.1", total: "0" })
      }))
      const { totals, diff } = yield* applyChanges(head([], 0), changes)
      expect(totals.total).toBe("10000.00")
      expect(diff.bridge.addedScope).toBe("10000.00")
      expect(diff.bridge.total).toBe("10000.00")
    })
  )

  it("orders objects and sections naturally and keeps more decimals when a total has them", () => {
    const totals = summarizeBudget([
      position({ positionKey: "a", objectCode: "SO 10", sectionCode: "10", total: "1.005" }),
      position({ positionKey: "b", objectCode: "SO 2", sectionCode: "2", total: "2" }),
      position({ positionKey: "c", objectCode: "SO 2", sectionCode: "10", total: "3.10" })
    ])
    expect(totals.total).toBe("6.105")
    expect(totals.objects.map((o) => o.objectCode)).toEqual(["SO 2", "SO 10"])
    expect(totals.sections.map((s) => `${s.objectCode}/${s.sectionCode}=${s.total}`)).toEqual([
      "SO 2/2=2.000",
      "SO 2/10=3.100",
      "SO 10/10=1.005"
    ])
  })
})
