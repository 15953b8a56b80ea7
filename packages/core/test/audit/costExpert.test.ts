import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { AuditContext } from "../../src/audit/AuditContext.ts"
import { costExpert } from "../../src/audit/costExpert.ts"
import type { Position } from "../../src/contracts/Position.ts"
import { defaultRounding, RoundingStep } from "../../src/contracts/Rounding.ts"
import { dec, pos } from "./fixtures/positions.ts"

const run = (positions: ReadonlyArray<Position>, context: AuditContext = {}) =>
  Effect.runSync(costExpert.run(positions, context))
const one = (p: Position, context: AuditContext = {}) => run([p], context)[0]!
const types = (p: Position, context: AuditContext = {}) => one(p, context).issues.map((i) => i.type)

describe("costExpert", () => {
  it("is GREEN when quantity × unit price equals the total", () => {
    const o = one(pos({ quantity: "123.00", unitPrice: "29.10", total: "3579.30" }))
    expect(o.verdict).toBe("GREEN")
    expect(o.role).toBe("cost")
    expect(o.issues).toEqual([])
    expect(o.evidence.expectedTotal).toBe("3579.30")
  })

  it("accepts differences that rounding explains (half-up total, rounded quantity)", () => {
    // 42.653 × 48.20 = 2055.8746 → 2055.87; a total computed from the unrounded 42.6528 is 2055.86.
    expect(one(pos({ quantity: "42.653", unitPrice: "48.20", total: "2055.87" })).verdict).toBe("GREEN")
    expect(one(pos({ quantity: "42.653", unitPrice: "48.20", total: "2055.86" })).verdict).toBe("GREEN")
    // 1.5 × 0.67 = 1.005: half-up gives 1.01, half-even 1.00; both are rounding.
    expect(one(pos({ quantity: "1.5", unitPrice: "0.67", total: "1.00" })).verdict).toBe("GREEN")
  })

  it("is RED when the total is off beyond rounding, naming the expected total", () => {
    const o = one(pos({ quantity: "10.000", unitPrice: "29.10", total: "300.00" }))
    expect(o.verdict).toBe("RED")
    expect(o.confidence).toBe(95)
    expect(o.issues.map((i) => i.type)).toEqual(["total-mismatch"])
    expect(o.issues[0]!.suggestion).toContain("291.00")
    expect(o.issues[0]!.severity).toBe("error")
  })

  it("uses the budget's rounding steps for the tolerance", () => {
    const p = pos({ quantity: "10", unitPrice: "29.10", total: "290" })
    expect(one(p).verdict).toBe("RED")
    // Totals rounded to whole crowns: 291 vs 290 is still off by more than half a crown…
    expect(one(p, { rounding: { ...defaultRounding, total: RoundingStep.make("1") } }).verdict).toBe("RED")
    // …but rounding to tens explains it.
    expect(one(p, { rounding: { ...defaultRounding, total: RoundingStep.make("10") } }).verdict).toBe("GREEN")
  })

  it("flags a zero or missing unit price AMBER", () => {
    expect(types(pos({ unitPrice: "0", total: "0" }))).toEqual(["zero-price"])
    expect(one(pos({ unitPrice: "0.00", total: "0.00" })).verdict).toBe("AMBER")
    const missing = one(pos({ unitPrice: "", total: "0" }))
    expect(missing.verdict).toBe("AMBER")
    expect(missing.issues.map((i) => i.type)).toEqual(["missing-price"])
  })

  it("is RED for a zero price with a non-zero total", () => {
    expect(types(pos({ unitPrice: "0", total: "291.00" }))).toEqual(["zero-price", "total-mismatch"])
    expect(one(pos({ unitPrice: "0", total: "291.00" })).verdict).toBe("RED")
  })

  it("flags numbers that are not decimals RED", () => {
    const o = one(pos({ quantity: "12,5", total: "1" }))
    expect(o.verdict).toBe("RED")
    expect(o.issues.map((i) => i.type)).toEqual(["invalid-number"])
  })

  it("compares the unit price with the reference band of its code", () => {
    const context: AuditContext = {
      referencePrices: new Map([["121151113", { low: dec("20.00"), high: dec("35.00") }]])
    }
    const within = one(pos(), context)
    expect(within.verdict).toBe("GREEN")
    expect(within.confidence).toBe(90)
    expect(within.evidence.referenceBand).toBe("20.00–35.00")

    const above = one(pos({ unitPrice: "40.00", total: "400.00" }), context)
    expect(above.verdict).toBe("AMBER")
    expect(above.issues.map((i) => i.type)).toEqual(["price-outside-reference"])

    const below = one(pos({ unitPrice: "15.00", total: "150.00" }), context)
    expect(below.verdict).toBe("AMBER")
    expect(below.issues[0]!.description).toContain("below")

    const far = one(pos({ unitPrice: "71.00", total: "710.00" }), context)
    expect(far.verdict).toBe("RED")
    expect(far.issues.map((i) => i.type)).toEqual(["price-far-outside-reference"])

    // A band for another code does not apply.
    expect(one(pos({ code: "132151253", unitPrice: "400.00", total: "4000.00" }), context).verdict).toBe("GREEN")
  })

  it("judges every position, each under its own key", () => {
    const out = run([pos({ positionKey: "a" }), pos({ positionKey: "b", total: "1.00" })])
    expect(out.map((o) => [o.positionKey, o.verdict])).toEqual([
      ["a", "GREEN"],
      ["b", "RED"]
    ])
  })
})
