// CSV import: encodings, separators, decimal styles, header names in Czech and English, per-row problems.
import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ParsedBudget } from "../../src/contracts/ParsedBudget.ts"
import { detectFormat } from "../../src/import/detectFormat.ts"
import { parseBudget } from "../../src/import/parseBudget.ts"

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/${name}`, import.meta.url)))
const parse = (bytes: Uint8Array): ParsedBudget => Effect.runSync(parseBudget(bytes))
const enc = (s: string) => new TextEncoder().encode(s)

describe("CSV import", () => {
  it("reads a Windows-1250, semicolon, decimal-comma file with a title line above the header", () => {
    const bytes = fixture("generic-cp1250.csv")
    expect(detectFormat(bytes)).toBe("csv")
    const b = parse(bytes)
    expect(b.meta).toMatchObject({ format: "csv", layout: "generic" })
    expect(b.positions.map((p) => [p.code, p.description, p.unit, p.quantity, p.unitPrice, p.total])).toEqual([
      ["113107223", "Odstranění podkladu z kameniva drceného", "m2", "1234.500", "125.30", "154682.85"],
      ["564861111", "Podklad ze štěrkodrtě ŠD tl 200 mm", "m2", "10.500", "0.00", "0.00"],
      ["596211110", "Kladení zámkové dlažby", "", "2.000", "100.00", "200.00"]
    ])
    expect(b.positions[0]!.note).toBe("výměra dle výkresu; viz příloha")
    expect(b.positions[0]!.takeoff).toEqual([{ text: "120*10,2875", quantity: "1234.5" }])
  })

  it("reports unparseable numbers, missing units and unknown row types with their row numbers", () => {
    const b = parse(fixture("generic-cp1250.csv"))
    expect(b.problems.map((p) => [p.kind, p.location.row, p.location.column, p.value])).toEqual([
      ["unparseable-number", 7, "E", "abc"],
      ["missing-unit", 8, "C", ""],
      ["unknown-row-type", 9, "G", "X1 | Něco divného | ks | 1 | 1 | 1 | ZZ"]
    ])
    expect(b.meta.rows).toEqual({
      rows: 7,
      positions: 3,
      sections: 0,
      takeoff: 1,
      notes: 1,
      summaries: 1,
      objectRows: 0,
      problemRows: 1
    })
  })

  it("reads a comma-separated file with English headers, decimal points and thousands separators", () => {
    const b = parse(fixture("english.csv"))
    expect(b.positions.map((p) => [p.code, p.description, p.quantity, p.unitPrice, p.total])).toEqual([
      ["113107223", "Removal of crushed stone base, 200 mm", "1234.500", "125.30", "154682.85"],
      ["564861111", "Gravel base", "10.500", "12.00", "126.00"]
    ])
    expect(b.problems).toEqual([])
  })

  it("reads UTF-8 with a BOM and tab separators", () => {
    const b = parse(enc("\ufeffKód\tPopis\tMJ\tMnožství\tJ.cena [EUR]\n1\tVýkop\tm3\t2,5\t10\n"))
    expect(b.settings.currency).toBe("EUR")
    expect(b.positions[0]).toMatchObject({ code: "1", description: "Výkop", quantity: "2.500", total: "25.00" })
  })

  it("keeps quoted fields with separators and line breaks whole", () => {
    const b = parse(enc('Kód;Popis;MJ;Množství\n1;"a; b\nc";m;1\n'))
    expect(b.positions[0]!.description).toBe("a; b\nc")
  })

  it("fails with the headers found when no header row can be mapped", () => {
    const error = Effect.runSync(Effect.flip(parseBudget(enc("Datum;Autor;Text\n1.1.2024;JN;ok\n"))))
    expect(error).toMatchObject({ reason: "unmapped-sheet", format: "csv", headersFound: ["Datum", "Autor", "Text"] })
  })
})
