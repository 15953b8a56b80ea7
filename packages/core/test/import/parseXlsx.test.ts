// XLSX import: the KROS export layout (real rd-valcha and tremosna files) and other layouts found by header names.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { fixturesAvailable, fixturesDir, requireFixture } from "../../../../test/support/fixtures.ts"
import type { ParsedBudget } from "../../src/contracts/ParsedBudget.ts"
import { parseBudget } from "../../src/import/parseBudget.ts"
import { buildXlsx } from "./xlsxFixture.ts"

const parse = (bytes: Uint8Array): ParsedBudget => Effect.runSync(parseBudget(bytes))

const generic = () =>
  buildXlsx([
    {
      name: "Rozpočet",
      rows: [
        ["Stavba:", "Chodník"],
        [],
        ["Typ", "Kód položky", "Název položky", "MJ", "Množství", "Jednotková cena", "Celkem"],
        ["VV", null, "osamocený řádek", null, 1],
        ["D", "1", "Zemní práce"],
        ["P", "113107223", "Odstranění podkladu", "m2", 12.5, 125.3, 1566.25],
        ["PP", null, "Plný popis: odstranění podkladu z kameniva"],
        ["VV", null, "2,5*5", null, 12.5],
        ["TS", null, "dle TKP"],
        ["P", "564861111", "Podklad ze štěrkodrtě", "m2", "10,5", "12,50", null],
        ["P", "596211110", "Kladení dlažby", null, 2, "x", 200],
        ["Q", "???", "Neznámý řádek"]
      ]
    }
  ])

describe("XLSX import, other layouts", () => {
  it("finds the header by column names and maps P / PP / VV / TS rows", () => {
    const b = parse(generic())
    expect(b.meta).toMatchObject({ format: "xlsx", layout: "generic", sheets: [{ name: "Rozpočet", role: "budget" }] })
    expect(b.positions).toHaveLength(3)
    expect(b.positions[0]).toMatchObject({
      positionKey: "Rozpočet/1/code:113107223",
      objectCode: "Rozpočet",
      sectionCode: "1",
      code: "113107223",
      description: "Odstranění podkladu",
      unit: "m2",
      quantity: "12.500",
      unitPrice: "125.30",
      total: "1566.25",
      note: "odstranění podkladu z kameniva\ndle TKP",
      takeoff: [{ text: "2,5*5", quantity: "12.5" }]
    })
    // Text numbers with a decimal comma; no total in the file → quantity × unit price, rounded to 0.01.
    expect(b.positions[1]).toMatchObject({ quantity: "10.500", unitPrice: "12.50", total: "131.25" })
  })

  it("reports every row it could not use, with sheet, row and column", () => {
    const b = parse(generic())
    const summary = b.problems.map((p) => [p.kind, p.location.sheet, p.location.row, p.location.column, p.positionKey])
    expect(summary).toEqual([
      ["orphan-row", "Rozpočet", 4, null, null],
      ["unparseable-number", "Rozpočet", 11, "F", "Rozpočet/1/code:596211110"],
      ["missing-unit", "Rozpočet", 11, "D", "Rozpočet/1/code:596211110"],
      ["unknown-row-type", "Rozpočet", 12, "A", null],
      ["total-mismatch", "Rozpočet", 11, null, "Rozpočet/1/code:596211110"]
    ])
    expect(b.meta.rows).toEqual({
      rows: 9,
      positions: 3,
      sections: 1,
      takeoff: 1,
      notes: 2,
      summaries: 0,
      objectRows: 0,
      problemRows: 2
    })
  })

  it("fails with the headers it found when a sheet cannot be mapped", () => {
    const bytes = buildXlsx([
      {
        name: "Data",
        rows: [
          ["Kód", "Popis", "Množství"],
          ["1", "a", 1]
        ]
      },
      {
        name: "Poznámky",
        rows: [
          ["Datum", "Autor", "Text"],
          ["1.1.2024", "JN", "ok"]
        ]
      }
    ])
    const error = Effect.runSync(Effect.flip(parseBudget(bytes, { fileName: "x.xlsx" })))
    expect(error).toMatchObject({
      _tag: "ImportError",
      reason: "unmapped-sheet",
      where: "Poznámky",
      fileName: "x.xlsx"
    })
    expect(error.headersFound).toEqual(["Datum", "Autor", "Text"])
  })
})

const real = fixturesAvailable("boq/rd-valcha.xlsx", "boq/tremosna.xlsx")

describe.skipIf(!real)(`KROS XLSX import (real files in ${fixturesDir})`, () => {
  it("rd-valcha: one sheet per object, recap and figure list recognised, 298 positions, cached totals", () => {
    const b = parse(requireFixture("boq/rd-valcha.xlsx"))
    expect(b.meta).toMatchObject({ layout: "kros", code: "01-2025-AP", name: "RD Valcha SO1+ SO2", date: "2025-09-08" })
    expect(b.meta.sheets.map((s) => s.role)).toEqual([
      "recapitulation",
      "budget",
      "budget",
      "budget",
      "budget",
      "budget",
      "figures"
    ])
    expect(b.positions).toHaveLength(298)
    expect(b.problems).toEqual([])
    expect(b.objects.map((o) => [o.code, o.name, o.positionCount, o.total, o.declaredTotal])).toEqual([
      ["SO 1", "Dům (RD Valcha)", 119, "4810986.28", "4810986.28"],
      ["SO 2", "Garaž", 69, "2531283.38", "2531283.38"],
      ["Elektroinstalace", "RD Valcha", 47, "330370.83", "330370.83"],
      ["ZTI", "RD Valcha", 49, "433994.49", "433994.49"],
      ["Zámková dlažba", "RD Valcha", 14, "99162.78", "99162.78"]
    ])
    // Notes come from P rows without KROS's "Poznámka k položce:" prefix; VV rows carry their cached values.
    const p = b.positions.find((x) => x.positionKey === "SO 1/1/4")!
    expect(p.takeoff).toEqual([
      { text: '"ornice" 100,8*0,2', quantity: "20.16" },
      { text: '"výkopek 1/3 množství"  68,160*0,33', quantity: "22.4928" },
      { text: "Součet", quantity: "42.6528" }
    ])
    expect(b.positions.filter((x) => x.note.startsWith("Variabilní montovaná konstrukce"))).toHaveLength(2)
  })

  it("tremosna: 12 sheets (recap, 10 objects, figures), ~3,000 rows, every row accounted for", () => {
    const b = parse(requireFixture("boq/tremosna.xlsx"))
    expect(b.meta.sheets).toHaveLength(12)
    expect(b.meta.sheets.filter((s) => s.role === "budget")).toHaveLength(10)
    expect(b.meta.sheets.map((s) => s.role).filter((r) => r !== "budget")).toEqual(["recapitulation", "figures"])
    // Counted independently from the sheet XML: 2,212 non-empty rows below the 10 header rows (3,145 rows in all).
    const r = b.meta.rows
    expect(r.rows).toBe(2212)
    expect(r.positions + r.sections + r.takeoff + r.notes + r.summaries + r.objectRows + r.problemRows).toBe(r.rows)
    expect(r).toEqual({
      rows: 2212,
      positions: 875,
      sections: 126,
      takeoff: 717,
      notes: 484,
      summaries: 10,
      objectRows: 0,
      problemRows: 0
    })
    expect(b.positions).toHaveLength(875)
    expect(b.settings.rounding.total).toBe("0.1")
    expect(b.positions.every((p) => p.unitPrice === "0.00")).toBe(true)
    // ÚRS items (8-digit materials, 9-digit works, HZS hourly rates) everywhere but the technical trades’ own items.
    const urs = b.positions.filter((p) => p.catalog === "CS ÚRS 2023 02")
    expect(urs).toHaveLength(532)
    expect(urs.every((p) => /^(\d{8,9}|HZS\d{4})$/.test(p.code))).toBe(true)
    expect(b.objects.map((o) => o.code)).toEqual(["01", "02", "03", "04", "05", "06", "07", "08", "09", "VON"])
    expect(b.objects[0]!.name).toBe("Architektonicko stavební řešení")
    expect(b.problems.map((p) => p.kind).sort()).toEqual([
      "missing-quantity",
      "missing-quantity",
      "missing-quantity",
      "missing-quantity",
      "missing-quantity",
      "missing-unit"
    ])
    expect(new Set(b.positions.map((p) => p.positionKey)).size).toBe(875)
  })
})
