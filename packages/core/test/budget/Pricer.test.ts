import { describe, expect, it } from "@effect/vitest"
import { computeTotal, makePricer } from "../../src/budget/Pricer.ts"
import { defaultRounding, type RoundingSettings } from "../../src/contracts/Rounding.ts"
import { dec, position } from "./positionFixtures.ts"

describe("Pricer", () => {
  it("computes total = round(quantity × unit price) half-up at 0.01", () => {
    expect(computeTotal("123", "29.10", defaultRounding)).toBe("3579.30")
    expect(computeTotal("0.5", "0.01", defaultRounding)).toBe("0.01") // 0.005 → 0.01
    expect(computeTotal("0.499", "0.01", defaultRounding)).toBe("0.00") // 0.00499 → 0.00
    expect(computeTotal("1.5", "3.33", defaultRounding)).toBe("5.00") // 4.995 → 5.00
    expect(computeTotal("0.5", "-0.01", defaultRounding)).toBe("-0.01") // -0.005 → -0.01 (away from zero)
  })

  it("rounds quantity and unit price to their steps before multiplying", () => {
    // 1.0005 → 1.001 (quantity step 0.001); 10.005 → 10.01 (price step 0.01); 1.001 × 10.01 = 10.02001 → 10.02
    expect(computeTotal("1.0005", "10.005", defaultRounding)).toBe("10.02")
  })

  it("uses the budget's own steps", () => {
    const coarse: RoundingSettings = { ...defaultRounding, total: dec("1"), quantity: dec("0.01") }
    expect(computeTotal("3.335", "1.50", coarse)).toBe("5") // 3.34 × 1.50 = 5.01 → 5
    const halves: RoundingSettings = { ...defaultRounding, total: dec("0.5") }
    expect(computeTotal("1", "10.25", halves)).toBe("10.5")
  })

  it("reprices a position: rounded quantity and price, recomputed total, printed with the steps' decimals", () => {
    const repriced = makePricer(defaultRounding).reprice(position({ quantity: "2.5", unitPrice: "3.3", total: "0" }))
    expect(repriced.quantity).toBe("2.500")
    expect(repriced.unitPrice).toBe("3.30")
    expect(repriced.total).toBe("8.25")
  })
})
