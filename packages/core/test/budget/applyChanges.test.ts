import { describe, expect, it } from "@effect/vitest"
import { Effect, Result, Schema } from "effect"
import { applyChanges, applyChangesResult } from "../../src/budget/applyChanges.ts"
import { Change } from "../../src/contracts/Change.ts"
import { ChangeError, type ChangeErrorReason } from "../../src/contracts/ChangeError.ts"
import { dec, head, position } from "./positionFixtures.ts"

const base = head([
  position({ positionKey: "a", number: "1", quantity: "10.000", unitPrice: "29.10", total: "291.00" }),
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
    objectCode: "SO 2",
    objectName: "Garáž",
    sectionCode: "3",
    number: "1",
    code: "311235151",
    description: "Zdivo z tvárnic",
    unit: "m2",
    quantity: "20.000",
    unitPrice: "1000.00",
    total: "20000.00"
  })
])

const failure = (changes: ReadonlyArray<Change>): ChangeError => {
  const result = applyChangesResult(base, changes)
  if (Result.isSuccess(result)) throw new Error("expected the change set to fail")
  return result.failure
}

const expectFailure = (
  changes: ReadonlyArray<Change>,
  expected: { changeIndex: number; field: string; reason: ChangeErrorReason; message: RegExp }
) => {
  const error = failure(changes)
  expect(error).toBeInstanceOf(ChangeError)
  expect(error._tag).toBe("ChangeError")
  expect({ changeIndex: error.changeIndex, field: error.field, reason: error.reason }).toEqual({
    changeIndex: expected.changeIndex,
    field: expected.field,
    reason: expected.reason
  })
  expect(error.message).toMatch(expected.message)
  expect(error.message).toMatch(new RegExp(`^Change #${expected.changeIndex} \\(`))
}

const okUpdate: Change = { _tag: "UpdatePosition", positionKey: "a", patch: { note: "ok" } }

describe("applyChanges validation", () => {
  it.effect("fails in the error channel with a ChangeError and applies nothing", () =>
    Effect.gen(function* () {
      const before = JSON.stringify(base)
      const error = yield* Effect.flip(applyChanges(base, [okUpdate, { _tag: "RemovePosition", positionKey: "nope" }]))
      expect(error).toBeInstanceOf(ChangeError)
      expect(error.changeIndex).toBe(1)
      expect(error.positionKey).toBe("nope")
      expect(JSON.stringify(base)).toBe(before)
    })
  )

  it("unknown position key, for every change that addresses one", () => {
    const cases: ReadonlyArray<Change> = [
      { _tag: "UpdatePosition", positionKey: "x", patch: {} },
      { _tag: "RemovePosition", positionKey: "x" },
      { _tag: "MovePosition", positionKey: "x", objectCode: "SO 1", sectionCode: "1", number: "9" },
      { _tag: "SetUnitPriceFromCatalog", positionKey: "x", item: { code: "1", unitPrice: dec("1.00"), source: "ÚRS" } }
    ]
    for (const change of cases) {
      expectFailure([okUpdate, change], {
        changeIndex: 1,
        field: "positionKey",
        reason: "unknown_position",
        message: /no position has the key "x"/
      })
    }
  })

  it("a position removed earlier in the same change set is unknown afterwards", () =>
    expectFailure(
      [
        { _tag: "RemovePosition", positionKey: "a" },
        { _tag: "UpdatePosition", positionKey: "a", patch: { note: "late" } }
      ],
      { changeIndex: 1, field: "positionKey", reason: "unknown_position", message: /removed earlier/ }
    ))

  it("duplicate key on add", () =>
    expectFailure([{ _tag: "AddPosition", position: position({ positionKey: "b" }) }], {
      changeIndex: 0,
      field: "position.positionKey",
      reason: "duplicate_key",
      message: /key "b" already exists/
    }))

  it("duplicate key inside a restored version", () =>
    expectFailure(
      [
        {
          _tag: "RestoreVersion",
          version: 1,
          positions: [position({ positionKey: "k" }), position({ positionKey: "k" })]
        }
      ],
      { changeIndex: 0, field: "positions[1].positionKey", reason: "duplicate_key", message: /already exists/ }
    ))

  it("empty key", () =>
    expectFailure([{ _tag: "AddPosition", position: position({ positionKey: "  " }) }], {
      changeIndex: 0,
      field: "position.positionKey",
      reason: "empty_key",
      message: /positionKey is empty/
    }))

  it("non-numeric quantity, with a hint for a decimal comma", () => {
    expectFailure([{ _tag: "UpdatePosition", positionKey: "a", patch: { quantity: dec("12,5") } }], {
      changeIndex: 0,
      field: "patch.quantity",
      reason: "not_a_number",
      message: /write "12\.5"/
    })
    expectFailure([{ _tag: "AddPosition", position: position({ positionKey: "n", quantity: "lots" }) }], {
      changeIndex: 0,
      field: "position.quantity",
      reason: "not_a_number",
      message: /"lots" is not a number/
    })
  })

  it("non-numeric prices and take-off quantities", () => {
    expectFailure([{ _tag: "UpdatePosition", positionKey: "a", patch: { unitPrice: dec("1e3") } }], {
      changeIndex: 0,
      field: "patch.unitPrice",
      reason: "not_a_number",
      message: /e\.g\. "1234\.50"/
    })
    expectFailure(
      [
        { _tag: "SetUnitPriceFromCatalog", positionKey: "a", item: { code: "1", unitPrice: dec("n/a"), source: "ÚRS" } }
      ],
      { changeIndex: 0, field: "item.unitPrice", reason: "not_a_number", message: /not a number/ }
    )
    expectFailure(
      [
        {
          _tag: "UpdatePosition",
          positionKey: "a",
          patch: {
            takeoff: [
              { text: "2*3", quantity: dec("6") },
              { text: "x", quantity: dec("?") }
            ]
          }
        }
      ],
      { changeIndex: 0, field: "patch.takeoff[1].quantity", reason: "not_a_number", message: /not a number/ }
    )
  })

  it("negative quantity", () => {
    expectFailure([{ _tag: "UpdatePosition", positionKey: "b", patch: { quantity: dec("-1.5") } }], {
      changeIndex: 0,
      field: "patch.quantity",
      reason: "negative_quantity",
      message: /negative unit price/
    })
    expectFailure([{ _tag: "AddPosition", position: position({ positionKey: "n", quantity: "-2" }) }], {
      changeIndex: 0,
      field: "position.quantity",
      reason: "negative_quantity",
      message: /quantity -2 is negative/
    })
  })

  it("unknown unit, naming the accepted ones", () => {
    expectFailure([{ _tag: "UpdatePosition", positionKey: "a", patch: { unit: "furlong" } }], {
      changeIndex: 0,
      field: "patch.unit",
      reason: "unknown_unit",
      message: /"furlong" is not a known budget unit\. Use one of: .*m2, .*kus/
    })
    expectFailure([{ _tag: "AddPosition", position: position({ positionKey: "n", unit: "" }) }], {
      changeIndex: 0,
      field: "position.unit",
      reason: "unknown_unit",
      message: /not a known budget unit/
    })
  })

  it("empty description", () => {
    expectFailure([{ _tag: "UpdatePosition", positionKey: "a", patch: { description: " \t" } }], {
      changeIndex: 0,
      field: "patch.description",
      reason: "empty_description",
      message: /description is empty/
    })
    expectFailure([{ _tag: "AddPosition", position: position({ positionKey: "n", description: "" }) }], {
      changeIndex: 0,
      field: "position.description",
      reason: "empty_description",
      message: /description is empty/
    })
  })

  it("the Change schema decodes wire changes and rejects malformed ones", () => {
    const decode = Schema.decodeUnknownSync(Change)
    expect(decode({ _tag: "UpdatePosition", positionKey: "a", patch: { quantity: "1.5" } })).toEqual({
      _tag: "UpdatePosition",
      positionKey: "a",
      patch: { quantity: "1.5" }
    })
    expect(() => decode({ _tag: "UpdatePosition", positionKey: "a", patch: { quantity: 1.5 } })).toThrow()
    expect(() => decode({ _tag: "Explode", positionKey: "a" })).toThrow()
  })
})

describe("applyChanges results", () => {
  it.effect("adds a position: normalised unit, repriced, appended, version + 1, diff and totals", () =>
    Effect.gen(function* () {
      const {
        head: next,
        diff,
        totals
      } = yield* applyChanges(base, [
        {
          _tag: "AddPosition",
          position: position({
            positionKey: "d",
            number: "3",
            unit: "M²",
            quantity: "1.5",
            unitPrice: "3.33",
            total: "0"
          })
        }
      ])
      expect(next.version).toBe(2)
      expect(next.positions.map((p) => p.positionKey)).toEqual(["a", "b", "c", "d"])
      const added = next.positions[3]!
      expect({ unit: added.unit, quantity: added.quantity, unitPrice: added.unitPrice, total: added.total }).toEqual({
        unit: "m2",
        quantity: "1.500",
        unitPrice: "3.33",
        total: "5.00" // 4.995 rounds half-up
      })
      expect(diff.added).toEqual([added])
      expect(diff.unchangedCount).toBe(3)
      expect(diff.bridge).toMatchObject({ addedScope: "5.00", total: "5.00", rounding: "0.00" })
      expect(totals.total).toBe("42925.12")
      expect(totals.objects).toEqual([
        { objectCode: "SO 1", objectName: "Dům", positionCount: 3, total: "22925.12" },
        { objectCode: "SO 2", objectName: "Garáž", positionCount: 1, total: "20000.00" }
      ])
      expect(totals.sections).toEqual([
        { objectCode: "SO 1", sectionCode: "1", positionCount: 3, total: "22925.12" },
        { objectCode: "SO 2", sectionCode: "3", positionCount: 1, total: "20000.00" }
      ])
    })
  )

  it.effect("updates quantity and price: total recomputed, field-level diff, bridge", () =>
    Effect.gen(function* () {
      const { head: next, diff } = yield* applyChanges(base, [
        { _tag: "UpdatePosition", positionKey: "a", patch: { quantity: dec("12"), unitPrice: dec("30") } }
      ])
      const a = next.positions[0]!
      expect([a.quantity, a.unitPrice, a.total]).toEqual(["12.000", "30.00", "360.00"])
      expect(diff.modified).toHaveLength(1)
      expect(diff.modified[0]!.changes).toEqual([
        { field: "quantity", before: "10.000", after: "12.000" },
        { field: "unitPrice", before: "29.10", after: "30.00" },
        { field: "total", before: "291.00", after: "360.00" }
      ])
      // Δq × p₀ = 2 × 29.10 = 58.20; Δp × q₁ = 0.90 × 12 = 10.80; 58.20 + 10.80 = 69.00 = 360 − 291
      expect(diff.bridge).toMatchObject({ quantityEffect: "58.20", priceEffect: "10.80", total: "69.00" })
    })
  )

  it.effect("adds then updates the same key in one change set", () =>
    Effect.gen(function* () {
      const { head: next } = yield* applyChanges(base, [
        { _tag: "AddPosition", position: position({ positionKey: "d", number: "3" }) },
        { _tag: "UpdatePosition", positionKey: "d", patch: { quantity: dec("1") } }
      ])
      expect(next.positions[3]).toMatchObject({ positionKey: "d", quantity: "1.000", total: "29.10" })
    })
  )

  it.effect("moves a position to another section and number", () =>
    Effect.gen(function* () {
      const { head: next, diff } = yield* applyChanges(base, [
        { _tag: "MovePosition", positionKey: "b", objectCode: "SO 1", sectionCode: "2", number: "7" }
      ])
      expect(next.positions[1]).toMatchObject({ positionKey: "b", sectionCode: "2", number: "7", objectName: "Dům" })
      expect(diff.moved).toEqual([
        {
          positionKey: "b",
          afterKey: "b",
          matchedBy: "key",
          similarity: null,
          from: { objectCode: "SO 1", objectName: "Dům", sectionCode: "1", number: "2" },
          to: { objectCode: "SO 1", objectName: "Dům", sectionCode: "2", number: "7" }
        }
      ])
      expect(diff.modified).toEqual([])
      expect(diff.bridge.total).toBe("0.00")
    })
  )

  it.effect("a move to another object takes that object's name unless one is given", () =>
    Effect.gen(function* () {
      const { head: next } = yield* applyChanges(base, [
        { _tag: "MovePosition", positionKey: "a", objectCode: "SO 2", sectionCode: "3", number: "2" },
        { _tag: "MovePosition", positionKey: "b", objectCode: "SO 9", sectionCode: "1", number: "1" },
        {
          _tag: "MovePosition",
          positionKey: "c",
          objectCode: "SO 3",
          sectionCode: "1",
          number: "1",
          objectName: "Plot"
        }
      ])
      expect(next.positions.map((p) => [p.objectCode, p.objectName])).toEqual([
        ["SO 2", "Garáž"],
        ["SO 9", "Dům"], // no position of SO 9 yet: keeps its own name
        ["SO 3", "Plot"]
      ])
    })
  )

  it.effect("sets the unit price from a catalogue item", () =>
    Effect.gen(function* () {
      const { head: next } = yield* applyChanges(base, [
        {
          _tag: "SetUnitPriceFromCatalog",
          positionKey: "a",
          item: { code: "121151123", unitPrice: dec("31.455"), source: "CS ÚRS 2025 02" }
        }
      ])
      expect(next.positions[0]).toMatchObject({
        code: "121151123",
        catalog: "CS ÚRS 2025 02",
        unitPrice: "31.46",
        total: "314.60"
      })
    })
  )

  it.effect("removes a position", () =>
    Effect.gen(function* () {
      const { head: next, diff, totals } = yield* applyChanges(base, [{ _tag: "RemovePosition", positionKey: "b" }])
      expect(next.positions.map((p) => p.positionKey)).toEqual(["a", "c"])
      expect(diff.removed.map((p) => p.positionKey)).toEqual(["b"])
      expect(diff.bridge).toMatchObject({ removedScope: "-22629.12", total: "-22629.12" })
      expect(totals.total).toBe("20291.00")
    })
  )

  it.effect("restores an older version verbatim", () =>
    Effect.gen(function* () {
      const old = [position({ positionKey: "a", quantity: "1.2345", unitPrice: "1", total: "1.23" })]
      const { head: next, diff } = yield* applyChanges(base, [{ _tag: "RestoreVersion", version: 1, positions: old }])
      expect(next.positions).toEqual(old)
      expect(diff.removed.map((p) => p.positionKey)).toEqual(["b", "c"])
      expect(diff.modified.map((m) => m.positionKey)).toEqual(["a"])
    })
  )

  it.effect("remove then re-add the same key is a modification; an update to the same values changes nothing", () =>
    Effect.gen(function* () {
      const { diff } = yield* applyChanges(base, [
        { _tag: "RemovePosition", positionKey: "a" },
        { _tag: "AddPosition", position: position({ positionKey: "a", quantity: "11" }) },
        { _tag: "UpdatePosition", positionKey: "c", patch: { quantity: dec("20"), note: "" } }
      ])
      expect(diff.added).toEqual([])
      expect(diff.removed).toEqual([])
      expect(diff.modified.map((m) => [m.positionKey, m.changes.map((c) => c.field)])).toEqual([
        ["a", ["quantity", "total"]]
      ])
      expect(diff.unchangedCount).toBe(2)
      expect(diff.bridge).toMatchObject({ quantityEffect: "29.10", total: "29.10" })
    })
  )

  it.effect("an empty change set yields the same positions under the next version number", () =>
    Effect.gen(function* () {
      const { head: next, diff } = yield* applyChanges(base, [])
      expect(next.version).toBe(2)
      expect(next.positions).toEqual(base.positions)
      expect(diff).toMatchObject({ added: [], removed: [], modified: [], moved: [], unchangedCount: 3 })
    })
  )
})
