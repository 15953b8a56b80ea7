import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { applyChanges } from "../../src/budget/applyChanges.ts"
import { makeBudgetVersion } from "../../src/budget/makeBudgetVersion.ts"
import { BudgetHead, BudgetVersion } from "../../src/contracts/BudgetVersion.ts"
import { ChangeError } from "../../src/contracts/ChangeError.ts"
import { UserId } from "../../src/contracts/Ids.ts"
import { dec, head, position } from "./positionFixtures.ts"

describe("makeBudgetVersion", () => {
  it.effect("records version, parent, trigger, totals, change summary and delta cost, valid by the schema", () =>
    Effect.gen(function* () {
      const start = head([position({ positionKey: "a" }), position({ positionKey: "b", number: "2" })], 3)
      const result = yield* applyChanges(start, [
        { _tag: "UpdatePosition", positionKey: "a", patch: { quantity: dec("20") } },
        { _tag: "RemovePosition", positionKey: "b" }
      ])
      const version = makeBudgetVersion({
        result,
        parent: 3,
        trigger: "user_edit",
        createdBy: UserId.make("2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11"),
        createdAt: "2025-09-08T10:00:00.000Z"
      })
      expect(version).toMatchObject({
        version: 4,
        parent: 3,
        trigger: "user_edit",
        changeSummary: { added: 0, removed: 1, modified: 1, moved: 0, unchanged: 0 },
        deltaCost: "0.00", // a: 291.00 → 582.00, b: −291.00
        totals: { total: "582.00", positionCount: 1 }
      })
      expect(Schema.decodeUnknownSync(BudgetVersion)(Schema.encodeSync(BudgetVersion)(version))).toEqual(version)
      expect(Schema.decodeUnknownSync(BudgetHead)(result.head)).toEqual(result.head)
    })
  )

  it("ChangeError survives the wire as a schema", () => {
    const error = new ChangeError({
      changeIndex: 2,
      changeTag: "UpdatePosition",
      positionKey: "a",
      field: "patch.unit",
      reason: "unknown_unit",
      message: 'Change #2 (UpdatePosition of position "a"): the unit …'
    })
    const encoded = Schema.encodeSync(ChangeError)(error)
    expect(encoded).toMatchObject({ _tag: "ChangeError", changeIndex: 2, reason: "unknown_unit" })
    const decoded = Schema.decodeUnknownSync(ChangeError)(encoded)
    expect(decoded).toBeInstanceOf(ChangeError)
    expect(decoded.message).toBe(error.message)
  })
})
