// Decimal text: how budgets write numbers, spreadsheet doubles, canonical text (the arithmetic is Money.test's).
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Money from "../../src/budget/Money.ts"
import { canonical, fromSpreadsheetNumber, parseNumberText } from "../../src/import/decimalText.ts"

const text = (raw: string, sep: "," | "." = ",") => {
  const d = parseNumberText(raw, sep)
  return d === undefined ? undefined : Money.formatAtLeast(d)
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
    const s = (raw: string) => Money.formatAtLeast(fromSpreadsheetNumber(raw)!)
    expect(s("29.100000000000001")).toBe("29.1")
    expect(s("4810986.2799999993")).toBe("4810986.28")
    expect(s("22.748266666666701")).toBe("22.7482666666667")
    expect(s("1.5E-05")).toBe("0.000015")
    expect(s("1E+21")).toBe("1000000000000000000000")
    expect(s("-0.0051279513599999998")).toBe("-0.00512795136")
  })

  it("writes canonical text with a minimum scale and no float error", () => {
    expect(canonical(Money.parseUnsafe("123"), 3)).toBe("123.000")
    expect(canonical(Money.parseUnsafe("0.21807800"), 3)).toBe("0.218078")
    expect(canonical(Money.parseUnsafe("-0.000"), 2)).toBe("0.00")
    expect(canonical(Money.parseUnsafe("0.1234567890123456"), 2)).toBe("0.123456789012")
  })

  it("reads plain numbers (the fast path) exactly, with either separator (property)", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.stringMatching(/^[0-9]{1,14}$/),
        fc.option(fc.stringMatching(/^[0-9]{1,12}$/), { nil: undefined }),
        fc.constantFrom<"," | ".">(",", "."),
        (negative, whole, fraction, sep) => {
          const raw = `${negative ? "-" : ""}${whole}${fraction === undefined ? "" : `${sep}${fraction}`}`
          const expected = Money.make(BigInt(`${negative ? "-" : ""}${whole}${fraction ?? ""}`), fraction?.length ?? 0)
          expect(parseNumberText(raw, sep)).toEqual(expected)
        }
      )
    )
  })
})
