// The cost expert's total check has a fast path in doubles; it must agree with the bigint arithmetic everywhere,
// including at and beyond the 2^53 limit where it hands over.
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { checkTotal, checkTotalExact } from "../../src/audit/totalCheck.ts"
import * as Money from "../../src/budget/Money.ts"

const money = (maxDigits: number) =>
  fc
    .tuple(
      fc.bigInt({ min: -(10n ** BigInt(maxDigits)), max: 10n ** BigInt(maxDigits) }),
      fc.integer({ min: 0, max: 6 })
    )
    .map(([units, scale]) => Money.make(units, scale))
const positive = (maxDigits: number) =>
  fc
    .tuple(fc.bigInt({ min: 1n, max: 10n ** BigInt(maxDigits) }), fc.integer({ min: 0, max: 3 }))
    .map(([units, scale]) => Money.make(units, scale))

describe("checkTotal", () => {
  it("agrees with the bigint arithmetic for budget-sized and huge values (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(money(9), money(20)),
        fc.oneof(money(9), money(20)),
        fc.oneof(money(12), money(22)),
        fc.oneof(positive(1), positive(4), fc.constantFrom(Money.parseUnsafe("0.01"), Money.parseUnsafe("0.05"))),
        fc.integer({ min: 0, max: 4 }),
        fc.oneof(positive(3), positive(18)),
        (q, p, t, step, totalScale, tolerance) => {
          expect(checkTotal(q, p, t, step, totalScale, tolerance)).toEqual(
            checkTotalExact(q, p, t, step, totalScale, tolerance)
          )
        }
      ),
      { numRuns: 5000 }
    )
  })

  it("rounds half away from zero and prints the step's decimals, as Money does", () => {
    const c = (q: string, p: string, t: string) =>
      checkTotal(
        Money.parseUnsafe(q),
        Money.parseUnsafe(p),
        Money.parseUnsafe(t),
        Money.parseUnsafe("0.01"),
        2,
        Money.parseUnsafe("0.005")
      )
    expect(c("1.5", "0.67", "1.01")).toEqual({ expected: "1.01", exceeds: false })
    expect(c("-1.5", "0.67", "-1.01")).toEqual({ expected: "-1.01", exceeds: false })
    expect(c("10.000", "29.10", "300.00")).toEqual({ expected: "291.00", exceeds: true })
    expect(c("0", "29.10", "0")).toEqual({ expected: "0.00", exceeds: false })
    expect(c("123456789.123", "98765.43", "0")).toEqual(
      checkTotalExact(
        Money.parseUnsafe("123456789.123"),
        Money.parseUnsafe("98765.43"),
        Money.parseUnsafe("0"),
        Money.parseUnsafe("0.01"),
        2,
        Money.parseUnsafe("0.005")
      )
    )
  })
})
