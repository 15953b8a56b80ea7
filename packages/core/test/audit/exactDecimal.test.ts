import { BigDecimal, Option } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  canonicalDecimal,
  formatDecimal,
  formatFixed,
  parseDecimal,
  roundToStep
} from "../../src/audit/exactDecimal.ts"

const d = (s: string) => BigDecimal.fromStringUnsafe(s)

describe("exactDecimal", () => {
  it("parses plain decimal strings only", () => {
    expect(Option.isSome(parseDecimal("-12.50"))).toBe(true)
    for (const bad of ["", "1,5", "1e3", " 1", "1.", ".5", "NaN"]) expect(Option.isNone(parseDecimal(bad))).toBe(true)
  })

  it("rounds half away from zero to decimal and non-decimal steps", () => {
    expect(formatFixed(roundToStep(d("1.005"), d("0.01")), 2)).toBe("1.01")
    expect(formatFixed(roundToStep(d("-1.005"), d("0.01")), 2)).toBe("-1.01")
    expect(formatFixed(roundToStep(d("1.004999"), d("0.01")), 2)).toBe("1.00")
    expect(formatFixed(roundToStep(d("1.25"), d("0.5")), 1)).toBe("1.5")
    expect(formatFixed(roundToStep(d("14.99"), d("10")), 0)).toBe("10")
    expect(formatFixed(roundToStep(d("15"), d("10")), 0)).toBe("20")
  })

  it("formats exactly, without floats", () => {
    expect(formatFixed(d("0.1"), 3)).toBe("0.100")
    expect(formatFixed(d("-0.05"), 2)).toBe("-0.05")
    expect(formatDecimal(BigDecimal.multiply(d("0.1"), d("0.2")))).toBe("0.02")
    expect(canonicalDecimal("1.500")).toBe("1.5")
    expect(canonicalDecimal("abc")).toBe("abc")
  })

  it("roundToStep lands on a multiple of the step within half a step (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.integer({ min: 0, max: 6 }),
        (units, scale) => {
          const value = BigDecimal.make(units, scale)
          const step = d("0.01")
          const rounded = roundToStep(value, step)
          const diff = BigDecimal.abs(BigDecimal.subtract(rounded, value))
          expect(BigDecimal.isLessThanOrEqualTo(diff, d("0.005"))).toBe(true)
          expect(BigDecimal.isInteger(BigDecimal.multiply(rounded, d("100")))).toBe(true)
        }
      )
    )
  })
})
