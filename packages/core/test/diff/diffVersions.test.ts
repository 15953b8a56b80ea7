import { describe, expect, it } from "@effect/vitest"
import type { Position } from "../../src/contracts/Position.ts"
import { diceSimilarity, trigrams } from "../../src/diff/descriptionSimilarity.ts"
import { diffVersions } from "../../src/diff/diffVersions.ts"
import { FUZZY_THRESHOLD } from "../../src/diff/matchPositions.ts"
import { normalizeDescription } from "../../src/diff/normalizeDescription.ts"
import { dec, position } from "../budget/positionFixtures.ts"

const similarity = (a: string, b: string): number =>
  diceSimilarity(trigrams(normalizeDescription(a)), trigrams(normalizeDescription(b)))

const budget: ReadonlyArray<Position> = [
  position({ positionKey: "a", number: "1", code: "121151113", description: "Sejmutí ornice", unit: "m2" }),
  position({
    positionKey: "b",
    number: "2",
    code: "132151253",
    description: "Hloubení rýh šířky do 800 mm",
    unit: "m3",
    quantity: "68.160",
    unitPrice: "332.00",
    total: "22629.12"
  }),
  position({
    positionKey: "c",
    number: "3",
    code: "174151101",
    description: "Zásyp jam a rýh",
    unit: "m3",
    quantity: "20.000",
    unitPrice: "100.00",
    total: "2000.00"
  })
]

/** The same positions as an import would deliver them: fresh keys, nothing else changed. */
const rekeyed = (positions: ReadonlyArray<Position>): Array<Position> =>
  positions.map((p) => ({ ...p, positionKey: `new-${p.positionKey}` }))

describe("diffVersions", () => {
  it("reports nothing for identical lists", () => {
    const diff = diffVersions(budget, budget)
    expect(diff).toEqual({
      added: [],
      removed: [],
      modified: [],
      moved: [],
      unchangedCount: 3,
      bridge: {
        quantityEffect: "0",
        priceEffect: "0",
        addedScope: "0",
        removedScope: "0",
        rounding: "0",
        total: "0"
      }
    })
  })

  it("matches re-keyed positions by place and code", () => {
    const after = rekeyed(budget)
    after[1] = { ...after[1]!, quantity: "70.000" as Position["quantity"], total: "23240.00" as Position["total"] }
    const diff = diffVersions(budget, after)
    expect(diff.added).toEqual([])
    expect(diff.removed).toEqual([])
    expect(diff.unchangedCount).toBe(2)
    expect(diff.modified).toHaveLength(1)
    expect(diff.modified[0]).toMatchObject({ positionKey: "b", afterKey: "new-b", matchedBy: "place" })
    expect(diff.modified[0]!.changes.map((c) => c.field)).toEqual(["quantity", "total"])
    // Δq × p₀ = 1.84 × 332 = 610.88 = 23240.00 − 22629.12
    expect(diff.bridge).toMatchObject({ quantityEffect: "610.88", priceEffect: "0.00", total: "610.88" })
  })

  it("recognises a renumbering: a position inserted at 2 shifts the rest, which are moves, not add + remove", () => {
    const inserted = position({
      positionKey: "new-x",
      number: "2",
      code: "131151100",
      description: "Hloubení jam",
      unit: "m3",
      quantity: "1.000",
      unitPrice: "500.00",
      total: "500.00"
    })
    const shifted = rekeyed(budget).map((p) => (p.number === "1" ? p : { ...p, number: `${Number(p.number) + 1}` }))
    const diff = diffVersions(budget, [...shifted, inserted])
    expect(diff.added.map((p) => p.positionKey)).toEqual(["new-x"])
    expect(diff.removed).toEqual([])
    expect(diff.modified).toEqual([])
    expect(diff.moved.map((m) => [m.positionKey, m.afterKey, m.matchedBy, m.from.number, m.to.number])).toEqual([
      ["b", "new-b", "content", "2", "3"],
      ["c", "new-c", "content", "3", "4"]
    ])
    expect(diff.unchangedCount).toBe(1)
    expect(diff.bridge).toMatchObject({ addedScope: "500.00", total: "500.00" })
  })

  it("recognises a move between sections by content (object, code, description, unit)", () => {
    const after = rekeyed(budget).map((p) =>
      p.positionKey === "new-c" ? { ...p, sectionCode: "2", number: "1", description: "ZÁSYP  jam a rýh." } : p
    )
    const diff = diffVersions(budget, after)
    expect(diff.moved).toEqual([
      {
        positionKey: "c",
        afterKey: "new-c",
        matchedBy: "content",
        similarity: null,
        from: { objectCode: "SO 1", objectName: "Dům", sectionCode: "1", number: "3" },
        to: { objectCode: "SO 1", objectName: "Dům", sectionCode: "2", number: "1" }
      }
    ])
    // The description differs only in case, spacing and punctuation: matched, but still reported as a field change.
    expect(diff.modified.map((m) => [m.positionKey, m.changes.map((c) => c.field)])).toEqual([["c", ["description"]]])
  })

  it("matches a reworded description of the same code and unit in another object fuzzily", () => {
    const before = "Hloubení rýh šířky do 800 mm v hornině třídy těžitelnosti I skupiny 3"
    const reworded = "Hloubení rýh šířky do 800 mm v hornině tř. těžitelnosti I, skupiny 3 strojně"
    const unrelated = "Hloubení rýh šířky přes 2000 mm ve skále"
    const score = similarity(before, reworded)
    expect(score).toBeGreaterThanOrEqual(FUZZY_THRESHOLD)
    expect(similarity(before, unrelated)).toBeLessThan(FUZZY_THRESHOLD)

    const a = [position({ positionKey: "r", code: "132151253", unit: "m3", description: before })]
    const moved = position({
      positionKey: "r2",
      objectCode: "SO 2",
      objectName: "Garáž",
      code: "132151253",
      unit: "M3",
      description: reworded
    })
    const diff = diffVersions(a, [moved])
    expect(diff.moved).toHaveLength(1)
    expect(diff.moved[0]).toMatchObject({ positionKey: "r", afterKey: "r2", matchedBy: "fuzzy", similarity: score })
    expect(diff.modified[0]!.changes.map((c) => c.field)).toEqual(["objectName", "description"]) // unit M3 = m3

    const notSimilar = diffVersions(a, [{ ...moved, description: unrelated }])
    expect(notSimilar.added.map((p) => p.positionKey)).toEqual(["r2"])
    expect(notSimilar.removed.map((p) => p.positionKey)).toEqual(["r"])
  })

  it("never matches fuzzily across codes or units, nor positions without a code", () => {
    const a = [position({ positionKey: "r", code: "", description: "Ostatní práce" })]
    const b = [position({ positionKey: "s", code: "", description: "Ostatní práce navíc", objectCode: "SO 2" })]
    expect(diffVersions(a, b).moved).toEqual([])
    const c = [position({ positionKey: "s", code: "121151113", unit: "m3", objectCode: "SO 2" })]
    expect(diffVersions([position({ positionKey: "r", code: "121151113", unit: "m2" })], c).moved).toEqual([])
  })

  it("splits the bridge into quantity, price, scope and rounding parts", () => {
    const a = [
      position({ positionKey: "q", quantity: "3.000", unitPrice: "3.33", total: "9.99" }),
      position({ positionKey: "gone", number: "2", code: "2", total: "100.00" })
    ]
    const b = [
      position({ positionKey: "q", quantity: "1.500", unitPrice: "3.34", total: "5.01" }),
      position({ positionKey: "new", number: "3", code: "3", total: "7.50" })
    ]
    const bridge = diffVersions(a, b).bridge
    // Δq × p₀ = −1.5 × 3.33 = −4.995; Δp × q₁ = 0.01 × 1.5 = 0.015; products 5.01 − 9.99 = −4.98 = stated Δt
    expect(bridge).toEqual({
      quantityEffect: "-4.995",
      priceEffect: "0.015",
      addedScope: "7.50",
      removedScope: "-100.00",
      rounding: "0.00",
      total: "-97.48"
    })
    // A stated total that is not quantity × price shows up as rounding.
    const off = diffVersions(a, [{ ...b[0]!, total: "5.00" as Position["total"] }, b[1]!]).bridge
    expect(off.rounding).toBe("-0.01")
    expect(off.total).toBe("-97.49")
  })

  it("orders entries by object, section, number (naturally) and key, whatever the input order", () => {
    const many = Array.from({ length: 12 }, (_, i) =>
      position({
        positionKey: `k${i}`,
        objectCode: `SO ${i % 3}`,
        sectionCode: `${i % 2}`,
        number: `${i}`,
        code: `${i}`
      })
    )
    const forward = diffVersions([], many)
    expect(forward.added.map((p) => p.positionKey)).toEqual([
      "k0",
      "k6",
      "k3",
      "k9",
      "k4",
      "k10",
      "k1",
      "k7",
      "k2",
      "k8",
      "k5",
      "k11"
    ])
    expect(diffVersions([], [...many].reverse())).toEqual(forward)
  })

  it("compares only the fields asked for; matching, moves and the bridge stay the same", () => {
    const after = budget.map((p) =>
      p.positionKey === "a" ? { ...p, catalog: "", quantity: dec("12.000"), total: dec("349.20") } : p
    )
    const full = diffVersions(budget, after)
    expect(full.modified.map((m) => m.changes.map((c) => c.field))).toEqual([["catalog", "quantity", "total"]])
    const partial = diffVersions(budget, after, { fields: ["code", "description", "unit", "quantity", "unitPrice"] })
    expect(partial.modified.map((m) => m.changes.map((c) => c.field))).toEqual([["quantity"]])
    expect(partial.bridge).toEqual(full.bridge)
    const none = diffVersions(budget, after, { fields: ["description"] })
    expect(none.modified).toEqual([])
    expect(none.unchangedCount).toBe(3)
    expect(none.bridge).toEqual(full.bridge)
  })
})
