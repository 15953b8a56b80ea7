// The two rd-valcha files (KROS XLSX export and KROS UNIXML) describe the same budget: the importers must agree.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { fixturesAvailable, fixturesDir, requireFixture } from "../../../../test/support/fixtures.ts"
import { parseBudget } from "../../src/import/parseBudget.ts"

const real = fixturesAvailable("boq/rd-valcha.xlsx", "boq/rd-valcha.unixml.xml")

describe.skipIf(!real)(`rd-valcha XLSX vs UNIXML (real files in ${fixturesDir})`, () => {
  const xlsx = () => Effect.runSync(parseBudget(requireFixture("boq/rd-valcha.xlsx")))
  const unixml = () => Effect.runSync(parseBudget(requireFixture("boq/rd-valcha.unixml.xml")))

  it("gives the same positions, position by position", () => {
    const x = xlsx().positions
    const u = unixml().positions
    expect(x).toHaveLength(298)
    expect(u).toHaveLength(298)
    const fields = (p: (typeof x)[number]) => ({
      positionKey: p.positionKey,
      objectCode: p.objectCode,
      objectName: p.objectName,
      sectionCode: p.sectionCode,
      number: p.number,
      code: p.code,
      description: p.description,
      unit: p.unit,
      quantity: p.quantity,
      unitPrice: p.unitPrice,
      total: p.total,
      kind: p.kind,
      note: p.note
    })
    x.forEach((p, i) => {
      expect(fields(p), `position ${i + 1} (${p.positionKey})`).toEqual(fields(u[i]!))
    })
  })

  it("gives the same object totals, matching the totals the XLSX states", () => {
    const x = xlsx().objects
    const u = unixml().objects
    expect(x.map((o) => [o.code, o.name, o.total])).toEqual(u.map((o) => [o.code, o.name, o.total]))
    expect(x.map((o) => o.declaredTotal)).toEqual(u.map((o) => o.total))
    expect(x.map((o) => o.total)).toEqual(["4810986.28", "2531283.38", "330370.83", "433994.49", "99162.78"])
  })

  it("gives the same take-off lines for the positions measured in the budget (not KROS's material coefficients)", () => {
    const x = xlsx().positions
    const u = unixml().positions
    let same = 0
    x.forEach((p, i) => {
      const a = p.takeoff.map((t) => t.text)
      const b = u[i]!.takeoff.map((t) => t.text)
      if (JSON.stringify(a) === JSON.stringify(b)) same++
      // The XLSX prints material conversion lines ("103,886*1,05 'Přepočtené…") that UNIXML formats differently.
      else expect(a.some((t) => t.includes("Přepočtené koeficientem"))).toBe(true)
    })
    expect(same).toBeGreaterThan(280)
  })
})
