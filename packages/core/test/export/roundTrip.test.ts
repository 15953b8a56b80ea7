// parseBudget(exportBudget(b, f)) gives back the same positions, for CSV, XLSX and UNIXML, on the real rd-valcha
// budget and on generated budgets.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { fixturesAvailable, fixturesDir, requireFixture } from "../../../../test/support/fixtures.ts"
import * as Money from "../../src/budget/Money.ts"
import { defaultBudgetSettings } from "../../src/contracts/BudgetSettings.ts"
import { DecimalString } from "../../src/contracts/Decimal.ts"
import type { ParsedBudget } from "../../src/contracts/ParsedBudget.ts"
import type { Position } from "../../src/contracts/Position.ts"
import { type ExportFormat, exportBudget } from "../../src/export/exportBudget.ts"
import { canonical } from "../../src/import/decimalText.ts"
import { detectFormat } from "../../src/import/detectFormat.ts"
import { parseBudget } from "../../src/import/parseBudget.ts"
import { evaluateTakeoff } from "../../src/import/takeoffExpression.ts"
import { evaluateTakeoffLines } from "../../src/import/unixmlTakeoff.ts"

const formats: ReadonlyArray<ExportFormat> = ["csv", "xlsx", "unixml"]

const roundTrip = (budget: Parameters<typeof exportBudget>[0], format: ExportFormat): ParsedBudget => {
  const bytes = Effect.runSync(exportBudget(budget, format))
  expect(detectFormat(bytes)).toBe(format)
  return Effect.runSync(parseBudget(bytes))
}

/**
 * UNIXML has no field for a take-off line's value: the line travels as its expression (a note when it has no value, a
 * sum line for "Součet", a figure of the object when it is a bare name with a value) and the importer computes the
 * value back from it. A line without text is lost.
 */
const throughUnixml = (positions: ReadonlyArray<Position>): Array<Position> => {
  const figures = new Map<string, string | null>()
  for (const p of positions)
    for (const t of p.takeoff)
      if (t.quantity !== null && /^\p{L}[\p{L}\p{N}_]*$/u.test(t.text) && evaluateTakeoff(t.text) === undefined) {
        const key = `${p.objectCode}\u0000${t.text}`
        const seen = figures.get(key)
        figures.set(key, seen === undefined || seen === t.quantity ? t.quantity : null)
      }
  return positions.map((p) => ({
    ...p,
    takeoff: evaluateTakeoffLines(
      p.takeoff
        .filter((t) => t.text !== "")
        .map((t) => {
          const kind = t.quantity === null ? "POZNAMKA" : /^\s*(mezi)?součet\b/iu.test(t.text) ? "SOUCET" : "VYRAZ"
          // A valued line "CODE: expression" travels as a figure's line (kod_figury + vyraz).
          const figure = kind === "POZNAMKA" ? null : /^([\p{L}_][\p{L}\p{N}_]*): (.*)$/su.exec(t.text)
          return figure === null
            ? { kind, expression: t.text, figure: "" }
            : { kind, expression: figure[2]!, figure: figure[1]! }
        }),
      (name) => {
        const value = figures.get(`${p.objectCode}\u0000${name}`)
        return value === undefined || value === null ? undefined : Money.parseUnsafe(value)
      },
      Money.parseUnsafe(defaultBudgetSettings.rounding.quantity)
    ).map((l) => ({ text: l.text, quantity: l.quantity === null ? null : DecimalString.make(canonical(l.quantity)) }))
  }))
}

const real = fixturesAvailable("boq/rd-valcha.unixml.xml", "boq/rd-valcha.xlsx")

describe.skipIf(!real)(`round trip of the real rd-valcha budget (${fixturesDir})`, () => {
  for (const source of ["rd-valcha.unixml.xml", "rd-valcha.xlsx"])
    for (const format of formats)
      it(`${source} → ${format} → same positions and object totals`, () => {
        const original = Effect.runSync(parseBudget(requireFixture(`boq/${source}`)))
        const back = roundTrip(original, format)
        // Every take-off value of rd-valcha follows from its expression, so even UNIXML gives them all back.
        expect(back.positions).toEqual(original.positions)
        expect(back.objects.map((o) => [o.code, o.name, o.total, o.sections])).toEqual(
          original.objects.map((o) => [o.code, o.name, o.total, o.sections])
        )
        expect(back.problems).toEqual([])
        if (format !== "csv")
          expect(back.meta).toMatchObject({
            code: original.meta.code,
            name: original.meta.name,
            date: original.meta.date
          })
        if (format === "unixml") expect(back.settings).toEqual(original.settings)
      })

  it("the exported XLSX is deterministic and reads as KROS layout", () => {
    const original = Effect.runSync(parseBudget(requireFixture("boq/rd-valcha.unixml.xml")))
    const a = Effect.runSync(exportBudget(original, "xlsx"))
    const b = Effect.runSync(exportBudget(original, "xlsx"))
    expect(a).toEqual(b)
    const back = Effect.runSync(parseBudget(a))
    expect(back.meta.layout).toBe("kros")
    expect(back.objects.map((o) => o.declaredTotal)).toEqual(original.objects.map((o) => o.total))
  })
})

// Generated budgets: awkward text (separators, quotes, XML specials, formula starts, OOXML escapes, line breaks).
const text = fc
  .string({ unit: fc.constantFrom(..."aZčŘž 09;,.\"'=+-@&<>_x\n\t/[]:"), maxLength: 24 })
  .map((s) => s.trim())
  .filter((s) => !/^'[=+\-@\t\r]/.test(s))
/** Decimals in the canonical text the importers write: at least `minScale` fraction digits shown. */
const decimal = (scale: number, max: number, minScale = scale) =>
  fc.bigInt({ min: -BigInt(max), max: BigInt(max) }).map((units) => canonical(Money.make(units, scale), minScale))

interface Draft {
  readonly section: number
  readonly description: string
  readonly unit: string
  readonly catalog: string
  readonly quantity: string
  readonly unitPrice: string
  readonly note: string
  readonly material: boolean
  readonly takeoff: ReadonlyArray<{ readonly text: string; readonly quantity: string | null }>
}

const draft = fc.record({
  section: fc.integer({ min: 0, max: 2 }),
  description: text,
  unit: fc.constantFrom("m2", "m3", "kus", "t", ""),
  catalog: fc.constantFrom("CS ÚRS 2024 01", "OTSKP", ""),
  quantity: decimal(3, 10 ** 9),
  unitPrice: decimal(2, 10 ** 8),
  note: text,
  material: fc.boolean(),
  takeoff: fc.array(
    fc
      .record({ text, quantity: fc.option(decimal(4, 10 ** 8, 0), { nil: null }) })
      .filter((t) => t.text !== "" || t.quantity !== null),
    { maxLength: 3 }
  )
})

const objectCodes = ["SO 01", "SO 02 - A", "Elektro", "ZTI"]
const sectionCodes = ["", "1", "HSV"]

const budgetOf = (objects: ReadonlyArray<ReadonlyArray<Draft>>) => {
  const positions: Array<Position> = []
  objects.forEach((drafts, o) => {
    const objectCode = objectCodes[o]!
    const sorted = [...drafts].sort((a, b) => a.section - b.section)
    sorted.forEach((d, i) => {
      const sectionCode = sectionCodes[d.section]!
      positions.push({
        positionKey: `${objectCode}/${sectionCode}/${i + 1}`,
        objectCode,
        objectName: `Objekt ${o + 1}`,
        sectionCode,
        number: String(i + 1),
        code: `${o}${i}${d.material ? "M" : "K"}`,
        catalog: d.catalog,
        description: d.description,
        unit: d.unit,
        quantity: DecimalString.make(d.quantity),
        unitPrice: DecimalString.make(d.unitPrice),
        total: DecimalString.make(
          canonical(
            Money.roundToStep(
              Money.multiply(Money.parseUnsafe(d.quantity), Money.parseUnsafe(d.unitPrice)),
              Money.parseUnsafe("0.01")
            ),
            2
          )
        ),
        takeoff: d.takeoff.map((t) => ({
          text: t.text,
          quantity: t.quantity === null ? null : DecimalString.make(t.quantity)
        })),
        note: d.note,
        kind: d.material ? "material" : "work",
        source: "uploaded",
        status: "unaudited",
        confidence: null
      })
    })
  })
  return { settings: defaultBudgetSettings, positions, meta: { code: "GEN", name: "Generovaný rozpočet" } }
}

const budgets = fc.array(fc.array(draft, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 3 }).map(budgetOf)

describe("round trip of generated budgets", () => {
  for (const format of formats)
    it(`${format}: same positions back`, () => {
      fc.assert(
        fc.property(budgets, (budget) => {
          const back = roundTrip(budget, format)
          const expected = format === "unixml" ? throughUnixml(budget.positions) : budget.positions
          expect(back.positions).toEqual(expected)
        }),
        { numRuns: 40 }
      )
    })

  it("exports positions given without objects or meta (settings + positions only)", () => {
    const budget = budgetOf([
      [
        {
          section: 1,
          description: "Výkop",
          unit: "m3",
          catalog: "",
          quantity: "2.500",
          unitPrice: "10.00",
          note: "",
          material: false,
          takeoff: []
        }
      ]
    ])
    for (const format of formats)
      expect(roundTrip({ settings: budget.settings, positions: budget.positions }, format).positions).toEqual(
        budget.positions
      )
  })
})
