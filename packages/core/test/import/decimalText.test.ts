// Exact decimal text: how budgets write numbers, spreadsheet doubles, half-up rounding to a step.
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import {
  canonical,
  dec,
  format,
  fromSpreadsheetNumber,
  multiply,
  parseNumberText,
  roundToStep
} from "../../src/import/decimalText.ts"

const text = (raw: string, sep: "," | "." = ",") => {
  const d = parseNumberText(raw, sep)
  return d === undefined ? undefined : format(d)
}

describe("decimalText", () => {
  it("reads numbers as people type them", () => {
    expect(text("1 234,50")).toBe("1234.5")
    expect(text("1\u00a0234,50 Kč")).toBe("1234.5")
    expect(text("1.234,5")).toBe("1234.5")
    expect(text("1,234.5", ".")).toBe("1234.5")
    expect(text("1,234", ".")).toBe("1234")
    expect(text("1,234", ",")).toBe("1.234")
    expect(text("7.2", ",")).toBe("7.2")
    expect(text("-12")).toBe("-12")
    expect(text("−0,5")).toBe("-0.5")
    expect(text("1.234.567")).toBe("1234567")
    expect(text("1,5E-3")).toBe("0.0015")
    expect(text("abc")).toBeUndefined()
    expect(text("1,2,3")).toBeUndefined()
    expect(text("12 m2")).toBeUndefined()
  })

  it("reads spreadsheet doubles to Excel's 15 significant digits", () => {
    const s = (raw: string) => format(fromSpreadsheetNumber(raw)!)
    expect(s("29.100000000000001")).toBe("29.1")
    expect(s("4810986.2799999993")).toBe("4810986.28")
    expect(s("22.748266666666701")).toBe("22.7482666666667")
    expect(s("1.5E-05")).toBe("0.000015")
    expect(s("1E+21")).toBe("1000000000000000000000")
    expect(s("-0.0051279513599999998")).toBe("-0.00512795136")
  })

  it("rounds half-up (away from zero) to any step", () => {
    const r = (v: string, step: string) => format(roundToStep(dec(v), dec(step)))
    expect(r("35923.95", "1")).toBe("35924")
    expect(r("2.345", "0.01")).toBe("2.35")
    expect(r("-2.345", "0.01")).toBe("-2.35")
    expect(r("2.344", "0.01")).toBe("2.34")
    expect(r("7.25", "0.5")).toBe("7.5")
    expect(r("7.24", "0.5")).toBe("7")
    expect(r("1234", "10")).toBe("1230")
    expect(format(multiply(dec("123"), dec("29.10")))).toBe("3579.3")
  })

  it("writes canonical text with a minimum scale and no float error", () => {
    expect(canonical(dec("123"), 3)).toBe("123.000")
    expect(canonical(dec("0.21807800"), 3)).toBe("0.218078")
    expect(canonical(dec("-0.000"), 2)).toBe("0.00")
    expect(canonical(dec("0.1234567890123456"), 2)).toBe("0.123456789012")
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
          const got = roundToStep(multiply({ units: q, scale: 3 }, { units: p, scale: 2 }), dec("0.01"))
          return got.units === cents && got.scale === 2
        }
      )
    )
  })
})
