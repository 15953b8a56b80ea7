import { describe, expect, it } from "@effect/vitest"
import { acceptUnit, normalizeUnit, unitKey } from "../../src/budget/units.ts"

describe("units", () => {
  it("normalises case, exponents, spaces and a trailing dot", () => {
    expect(normalizeUnit(" M² ")).toBe("m2")
    expect(normalizeUnit("m^3")).toBe("m3")
    expect(normalizeUnit("KUS")).toBe("kus")
    expect(normalizeUnit("ks.")).toBe("ks")
    expect(normalizeUnit("m 2")).toBe("m2")
  })

  it("accepts the units real KROS budgets use and rejects others", () => {
    for (const unit of [
      "m",
      "M2",
      "m3",
      "M3OP",
      "t",
      "T",
      "kg",
      "ks",
      "KUS",
      "hod",
      "HOD",
      "h",
      "km",
      "bm",
      "soubor"
    ]) {
      expect(acceptUnit(unit), unit).toBeDefined()
    }
    for (const unit of ["KPL", "sada", "litr", "HM", "%"]) expect(acceptUnit(unit), unit).toBeDefined()
    for (const unit of ["", "furlong", "us", "m4", "pcs"]) expect(acceptUnit(unit), unit).toBeUndefined()
  })

  it("folds spellings of the same unit for comparisons, without changing how a unit is written", () => {
    const keys: ReadonlyArray<readonly [string, string]> = [
      [" KUS. ", "ks"],
      ["ks", "ks"],
      ["bm", "m"],
      ["Tuna", "t"],
      ["M²", "m2"],
      ["", ""]
    ]
    for (const [written, key] of keys) expect(unitKey(written), written).toBe(key)
    expect(normalizeUnit("kus")).toBe("kus")
    expect(normalizeUnit("ks..")).toBe("ks")
  })
})
