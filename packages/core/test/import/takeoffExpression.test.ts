// The KROS take-off expression evaluator: the forms the real budgets use, comments, functions, figures, and what it
// refuses (never `eval`).
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Money from "../../src/budget/Money.ts"
import { evaluateTakeoff, MAX_TAKEOFF_EXPRESSION } from "../../src/import/takeoffExpression.ts"

const value = (text: string, figures: Record<string, string> = {}): string | undefined => {
  const result = evaluateTakeoff(text, (name) => {
    const figure = figures[name]
    return figure === undefined ? undefined : Money.parseUnsafe(figure)
  })
  return result === undefined ? undefined : Money.format(result)
}

describe("evaluateTakeoff", () => {
  it("computes the expressions of rd-valcha exactly, with a decimal comma or point", () => {
    expect(value("(14+1)*(7,2+1)")).toBe("123")
    expect(value("372,524-(4,55+8,525+3,165+2,12+6,36)")).toBe("347.804")
    expect(value("4*(3,745+0,96)*0,888*6/1000")).toBe("0.10027296")
    expect(value("((2,9725/0,25)+1)*0,896*0,222*2/1000")).toBe("0.00512795136")
    expect(value("(12.0+8,0)*2*0.2")).toBe("8")
    expect(value("60,48 - 22,72 ")).toBe("37.76")
    expect(value("0,25*0,25 *(6*2,2+6*3,745+2*2,9725)")).toBe("2.6009375")
    // 0.1 + 0.2 is exact here, unlike in binary floating point.
    expect(value("0,1+0,2")).toBe("0.3")
  })

  it("keeps 15 significant digits, as KROS and spreadsheets do, for quotients that do not terminate", () => {
    expect(value("(42,653*1,6)/3")).toBe("22.7482666666667")
    expect(value("2/3")).toBe("0.666666666666667")
    expect(value("1/3*3")).toBe("1")
    expect(value("1,17777777777778 * 1,8")).toBe("2.12")
  })

  it('skips quoted comments anywhere and a comment after "\'" or after the expression', () => {
    expect(value('"ornice" 100,8*0,2')).toBe("20.16")
    expect(value('"výkopek 1/3 množství"  68,160*0,33')).toBe("22.4928")
    expect(value("96,943 * 1,1 ' Přepočtené koeficientem množství")).toBe("106.6373")
    expect(value("12*8 podlaha 1.NP")).toBe("96")
    expect(value('"1.01+1.02+2.01+2.02"')).toBeUndefined()
    expect(value("'jen poznámka")).toBeUndefined()
  })

  it("evaluates functions in degrees as KROS does (cos 8 = cos 8°), with or without parentheses", () => {
    // The values KROS caches in rd-valcha.xlsx for the same lines (to its 12 decimals).
    expect(value("12*8/cos 8")).toBe("96.9434469617873")
    expect(value("14*7,2/cos 14")).toBe("103.88585383847")
    expect(value("((12+8)*2/cos(8))*0,25")).toBe("10.0982757251862")
    expect(value("sin 30")).toBe("0.5")
    expect(value("tg 45")).toBe("1")
    expect(value("sqrt(16)+abs(-2)")).toBe("6")
    expect(value("2^10")).toBe("1024")
    expect(value("2^-2")).toBe("0.25")
    expect(value("-3+2")).toBe("-1")
    expect(value("pi*1^2")).toBe("3.14159265358979")
  })

  it("resolves figure codes through the caller and refuses other names", () => {
    expect(value("F0005", { F0005: "100.8" })).toBe("100.8")
    expect(value("F0005*0,5+1", { F0005: "100.8" })).toBe("51.4")
    expect(value("F0006", { F0005: "100.8" })).toBeUndefined()
    expect(value("délka*výška")).toBeUndefined()
    expect(value("(délka základu+šířka základu)*2*výška bednění")).toBeUndefined()
    expect(value("Indukční deska + EV wallbox")).toBeUndefined()
  })

  it("refuses what is not an expression: empty, unbalanced, division by zero, trailing operators, 2 x 3", () => {
    for (const text of ["", " ", "(1+2", "1+2)", "1/0", "1/(2-2)", "3*", "12,", "2 x 3", "1..2", "1,2,3", "abc(1)"])
      expect(value(text), text).toBeUndefined()
  })

  it("is bounded: over-long lines, deep nesting and huge powers are refused without exhausting anything", () => {
    expect(value(`${"1+".repeat(MAX_TAKEOFF_EXPRESSION)}1`)).toBeUndefined()
    expect(value(`${"(".repeat(200)}1${")".repeat(200)}`)).toBeUndefined()
    expect(value(`${"-".repeat(200)}1`)).toBeUndefined()
    // Exponents beyond 64 are computed as floats, and refused once the float overflows.
    expect(value("10^70")).toBe(`1${"0".repeat(70)}`)
    expect(value("10^1000")).toBeUndefined()
    expect(value("1234567890123456789012345678901")).toBeUndefined()
  })

  it("agrees with exact arithmetic on random sums and products of decimals", () =>
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 3 })), {
          minLength: 1,
          maxLength: 6
        }),
        fc.constantFrom("+", "*"),
        (terms, op) => {
          const decimals = terms.map(([units, scale]) => Money.make(BigInt(units), scale))
          const text = decimals.map((d) => Money.format(d).replace(".", ",")).join(op)
          const exact = decimals.reduce((acc, d) => (op === "+" ? Money.add(acc, d) : Money.multiply(acc, d)))
          const result = evaluateTakeoff(text)
          expect(result).toBeDefined()
          // Exact whenever the exact value has at most 15 significant digits.
          if (Money.normalize(exact).units.toString().replace("-", "").length <= 15)
            expect(Money.equals(result!, exact)).toBe(true)
        }
      )
    ))
})
