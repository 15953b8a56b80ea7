import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Money from "../../src/budget/Money.ts"

const round = (value: string, step: string): string =>
  Money.format(Money.roundToStep(Money.parseUnsafe(value), Money.parseUnsafe(step)))

describe("Money", () => {
  it("parses and formats decimal strings exactly", () => {
    expect(Money.parse("-12.50")).toEqual({ units: -1250n, scale: 2 })
    expect(Money.parse("0")).toEqual({ units: 0n, scale: 0 })
    expect(Money.format(Money.parseUnsafe("-0.05"))).toBe("-0.05")
    expect(Money.format(Money.parseUnsafe("7"), 3)).toBe("7.000")
    expect(Money.format(Money.make(-5n, 3))).toBe("-0.005")
  })

  it("rejects what is not a decimal with a point", () => {
    for (const bad of ["12,5", "1e3", " 1", "1.", ".5", "", "abc", "+1", "1 000"]) {
      expect(Money.parse(bad), bad).toBeUndefined()
    }
  })

  it("adds, subtracts and multiplies across scales", () => {
    const a = Money.parseUnsafe("1.5")
    const b = Money.parseUnsafe("0.25")
    expect(Money.format(Money.add(a, b))).toBe("1.75")
    expect(Money.format(Money.subtract(b, a))).toBe("-1.25")
    expect(Money.format(Money.multiply(a, b))).toBe("0.375")
    expect(Money.compare(Money.parseUnsafe("2.50"), Money.parseUnsafe("2.5"))).toBe(0)
    expect(Money.format(Money.normalize(Money.parseUnsafe("2.500"), 1))).toBe("2.5")
    expect(Money.format(Money.normalize(Money.parseUnsafe("0.00000")))).toBe("0")
    expect(Money.format(Money.normalize(Money.parseUnsafe("-120.000")))).toBe("-120")
  })

  it("rounds half-up (away from zero) at the 0.005 boundary", () => {
    expect(round("0.005", "0.01")).toBe("0.01")
    expect(round("0.004999", "0.01")).toBe("0.00")
    expect(round("2.345", "0.01")).toBe("2.35")
    expect(round("2.344", "0.01")).toBe("2.34")
    expect(round("1.005", "0.01")).toBe("1.01") // a float would give 1.00 (1.005 is 1.00499999… in binary)
    expect(round("-0.005", "0.01")).toBe("-0.01")
    expect(round("-2.345", "0.01")).toBe("-2.35")
    expect(round("-0.004", "0.01")).toBe("0.00")
    expect(round("0.0005", "0.001")).toBe("0.001")
    expect(round("12.5", "0.01")).toBe("12.50")
  })

  it("rounds to steps that are not powers of ten", () => {
    expect(round("1.25", "0.5")).toBe("1.5")
    expect(round("1.24", "0.5")).toBe("1.0")
    expect(round("-1.25", "0.5")).toBe("-1.5")
    expect(round("0.125", "0.05")).toBe("0.15")
    expect(round("2.5", "1")).toBe("3")
    expect(round("2.49", "1")).toBe("2")
    expect(round("15", "10")).toBe("20")
    expect(round("14.99", "10")).toBe("10")
  })

  it("refuses a non-positive step", () => {
    expect(() => Money.roundToStep(Money.parseUnsafe("1"), Money.parseUnsafe("0"))).toThrow(/positive/)
  })

  it("sums 100,000 × 0.1 to exactly 10000.00, where floats drift", () => {
    const values = Array.from({ length: 100_000 }, () => "0.1")
    let float = 0
    for (const v of values) float += Number(v)
    expect(float).not.toBe(10_000) // the drift this module exists to avoid
    const exact = Money.sum(values.map(Money.parseUnsafe))
    expect(Money.format(exact, 2)).toBe("10000.00")
  })

  it("formats the shortest exact text with a minimum of decimals, and takes absolute values", () => {
    expect(Money.formatAtLeast(Money.parseUnsafe("123"), 3)).toBe("123.000")
    expect(Money.formatAtLeast(Money.parseUnsafe("0.21807800"), 3)).toBe("0.218078")
    expect(Money.formatAtLeast(Money.parseUnsafe("-0.000"), 2)).toBe("0.00")
    expect(Money.formatAtLeast(Money.parseUnsafe("-1.50"))).toBe("-1.5")
    expect(Money.format(Money.abs(Money.parseUnsafe("-2.50")))).toBe("2.50")
    expect(Money.format(Money.abs(Money.parseUnsafe("2.5")))).toBe("2.5")
  })

  it("roundToStep lands on a multiple of the step within half a step (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom("0.01", "0.05", "0.5", "1", "10"),
        (units, scale, stepText) => {
          const value = Money.make(units, scale)
          const step = Money.parseUnsafe(stepText)
          const rounded = Money.roundToStep(value, step)
          const error = Money.abs(Money.subtract(rounded, value))
          expect(Money.compare(Money.add(error, error), step)).toBeLessThanOrEqual(0)
          const multiple = Money.rescale(rounded, Math.max(rounded.scale, step.scale)).units
          const stepUnits = Money.rescale(step, Math.max(rounded.scale, step.scale)).units
          expect(multiple % stepUnits).toBe(0n)
        }
      )
    )
  })

  it("multiplication and rounding agree with exact integer arithmetic (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        (q, p) => {
          // q/1000 × p/100 rounded to cents equals round(q×p / 1000) computed by hand.
          const exact = q * p
          const cents =
            exact / 1000n + (((exact < 0n ? -exact : exact) % 1000n) * 2n >= 1000n ? (exact < 0n ? -1n : 1n) : 0n)
          const got = Money.roundToStep(Money.multiply(Money.make(q, 3), Money.make(p, 2)), Money.parseUnsafe("0.01"))
          return got.units === cents && got.scale === 2
        }
      )
    )
  })

  it("parse reads exactly the strings /^-?\\d+(\\.\\d+)?$/ accepts, fast path or not (property)", () => {
    const reference = (text: string): Money.Money | undefined => {
      if (!/^-?\d+(\.\d+)?$/.test(text)) return undefined
      const dot = text.indexOf(".")
      return dot < 0
        ? Money.make(BigInt(text), 0)
        : Money.make(BigInt(text.slice(0, dot) + text.slice(dot + 1)), text.length - dot - 1)
    }
    const decimalish = fc
      .array(fc.constantFrom("0", "1", "5", "9", ".", "-", " ", "e", ","), { maxLength: 22 })
      .map((chars) => chars.join(""))
    fc.assert(
      fc.property(fc.oneof(decimalish, fc.string(), fc.bigInt().map(String)), (text) => {
        const expected = reference(text)
        const got = Money.parse(text)
        if (expected === undefined) expect(got).toBeUndefined()
        else expect(got).toEqual(expected)
      }),
      { numRuns: 5000 }
    )
  })

  it("subtract and compare agree with add(a, negate(b)) at any scales (property)", () => {
    const money = fc
      .tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 12 }))
      .map(([units, scale]) => Money.make(units, scale))
    fc.assert(
      fc.property(money, money, (a, b) => {
        const reference = Money.add(a, Money.negate(b))
        expect(Money.subtract(a, b)).toEqual(reference)
        expect(Money.compare(a, b)).toBe(reference.units < 0n ? -1 : reference.units > 0n ? 1 : 0)
      }),
      { numRuns: 2000 }
    )
  })
})
