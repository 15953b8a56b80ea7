// KROS UNIXML 1.2 import: structure, zdroje joins, rounding settings, problems; and the facts of the real files.
import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { fixturesAvailable, fixturesDir, requireFixture } from "../../../../test/support/fixtures.ts"
import type { ParsedBudget } from "../../src/contracts/ParsedBudget.ts"
import { parseBudget } from "../../src/import/parseBudget.ts"

const parse = (bytes: Uint8Array, fileName?: string): ParsedBudget =>
  Effect.runSync(parseBudget(bytes, fileName === undefined ? {} : { fileName }))

const small = () => parse(new Uint8Array(readFileSync(new URL("../fixtures/small.unixml.xml", import.meta.url))))

describe("UNIXML import (synthetic)", () => {
  it("reads budget identity, rounding settings and currency", () => {
    const b = small()
    expect(b.meta).toMatchObject({
      format: "unixml",
      layout: "kros",
      code: "SYN-1",
      name: "Syntetická stavba & garáž",
      date: "2024-03-05",
      currency: "EUR"
    })
    expect(b.settings).toEqual({
      currency: "EUR",
      rounding: { quantity: "0.01", unitPrice: "0.01", total: "1", mode: "half-up" }
    })
  })

  it("walks objects → nested díly → položky and joins descriptions, units and catalogues from zdroje", () => {
    const b = small()
    const p = b.positions[0]!
    expect(p).toMatchObject({
      positionKey: "SO 01/1/1",
      objectCode: "SO 01",
      objectName: "Hlavní objekt",
      sectionCode: "1",
      number: "1",
      code: "121151113",
      catalog: "CS ÚRS 2024 01",
      description: "Sejmutí ornice",
      unit: "m2",
      quantity: "1234.500",
      unitPrice: "29.10",
      // 1234.5 × 29.10 = 35923.95, rounded half-up to the budget's step of 1
      total: "35924.00",
      kind: "work",
      source: "uploaded",
      status: "unaudited",
      confidence: null
    })
    expect(p.note).toBe("Sejmutí ornice strojně, plný popis\nruční dočištění")
    expect(p.takeoff).toEqual([
      { text: "(14+1)*(7,2+1)", quantity: "123" },
      { text: "F0001: 100,8", quantity: "100.8" }
    ])
    expect(b.positions[2]).toMatchObject({
      kind: "material",
      unit: "t",
      description: "štěrkopísek frakce 0/4",
      total: "1125.00"
    })
    expect(b.objects.map((o) => [o.code, o.name, o.positionCount, o.total, o.declaredTotal])).toEqual([
      ["SO 01", "Hlavní objekt", 4, "37060.00", null],
      ["SO 02", "Garáž", 2, "7.00", null]
    ])
    expect(b.objects[0]!.sections).toEqual([
      { code: "HSV", name: "Práce a dodávky HSV", parentCode: null },
      { code: "1", name: "Zemní práce", parentCode: "HSV" }
    ])
  })

  it("reports problems with their XML path and never drops a position", () => {
    const b = small()
    expect(b.positions).toHaveLength(6)
    const byKind = (kind: string) => b.problems.filter((p) => p.kind === kind)
    expect(byKind("unparseable-number")).toEqual([
      expect.objectContaining({
        value: "abc",
        positionKey: "SO 01/1/2",
        location: {
          sheet: null,
          row: null,
          column: null,
          path: "/unixml/stavba/objekty/objekt[1]/dily/dil[1]/dily/dil[1]/polozky/polozka[2]/jednotkova_cena"
        }
      })
    ])
    expect(byKind("missing-unit").map((p) => p.positionKey)).toEqual(["SO 01/1/2"])
    // SO 02 has no <zdroje> at all: its positions are kept, without description, and each is reported.
    expect(byKind("missing-source").map((p) => [p.value, p.positionKey])).toEqual([
      ["999999999", "SO 01/1/4"],
      ["121151113", "SO 02//1"],
      ["121151113", "SO 02//1~2"]
    ])
    expect(b.meta.rows).toMatchObject({ rows: 6, positions: 6 })
  })

  it("keeps position keys unique: a repeated PČ gets a deterministic suffix", () => {
    const keys = small().positions.map((p) => p.positionKey)
    expect(keys.slice(4)).toEqual(["SO 02//1", "SO 02//1~2"])
    expect(new Set(keys).size).toBe(keys.length)
  })

  it("rejects XML that is not UNIXML with a message saying so", () => {
    const error = Effect.runSync(Effect.flip(parseBudget(new TextEncoder().encode("<?xml version='1.0'?><budget/>"))))
    expect(error.reason).toBe("unsupported-format")
    expect(error.message).toContain("<unixml>")
  })
})

/** A one-object UNIXML with the given figures and positions (polozka bodies without the <polozka> tags). */
const unixml = (figures: string, ...positions: ReadonlyArray<string>): ParsedBudget =>
  parse(
    new TextEncoder().encode(
      `<unixml verze="1.2"><stavba><nastaveni><zaokrouhleni_rozpocet><mnozstvi>0,001</mnozstvi>` +
        `<jednotkova_cena>0,01</jednotkova_cena><celkova_cena>0,01</celkova_cena></zaokrouhleni_rozpocet></nastaveni>` +
        `<objekty><objekt><kod_objektu>SO 1</kod_objektu><zdroje><zdroje_konstrukce><zdroj_konstrukce>` +
        `<kod_polozky>1</kod_polozky><zkraceny_popis_polozky>Výkop</zkraceny_popis_polozky>` +
        `<merna_jednotka>m3</merna_jednotka></zdroj_konstrukce></zdroje_konstrukce></zdroje>` +
        `<figury>${figures}</figury><polozky>${positions.map((p) => `<polozka>${p}</polozka>`).join("")}` +
        `</polozky></objekt></objekty></stavba></unixml>`
    )
  )
const line = (kind: string, expression: string, figure = "") =>
  `<radek_vykazu_vymer><typ_radku>${kind}</typ_radku><vyraz>${expression}</vyraz><kod_figury>${figure}</kod_figury></radek_vykazu_vymer>`
const position = (number: number, lines: string, where: "vykaz" | "direct" = "vykaz") =>
  `<typ_vety>K</typ_vety><kod_polozky>1</kod_polozky><cislo_polozky>${number}</cislo_polozky><mnozstvi>1</mnozstvi>` +
  (where === "vykaz"
    ? `<vykaz_vymer><radky_vykazu_vymer>${lines}</radky_vykazu_vymer></vykaz_vymer>`
    : `<radky_vykazu_vymer>${lines}</radky_vykazu_vymer>`) +
  "<jednotkova_cena>1</jednotkova_cena>"

describe("UNIXML take-off values (computed from the expressions, as KROS does)", () => {
  it("evaluates VYRAZ lines, sums SOUCET lines since the previous sum, and leaves POZNAMKA notes without value", () => {
    const b = unixml(
      "",
      position(
        1,
        line("POZNAMKA", "délka*šířka") +
          line("VYRAZ", '"ornice" 100,8*0,2') +
          line("VYRAZ", "1/3") +
          line("SOUCET", "Součet") +
          line("VYRAZ", "2") +
          line("VYRAZ", "délka*výška") +
          line("SOUCET", "Mezisoučet")
      )
    )
    expect(b.positions[0]!.takeoff).toEqual([
      { text: "délka*šířka", quantity: null },
      { text: '"ornice" 100,8*0,2', quantity: "20.16" },
      { text: "1/3", quantity: "0.333333333333" },
      { text: "Součet", quantity: "20.493333333333" },
      { text: "2", quantity: "2" },
      { text: "délka*výška", quantity: null },
      { text: "Mezisoučet", quantity: "2" }
    ])
    expect(b.problems).toEqual([])
  })

  it("resolves figure codes from the object's <figury>: the stated measure, else the figure's own lines", () => {
    const figures =
      "<figura><kod_figury>F0005</kod_figury><vymera>100,80</vymera></figura>" +
      "<figura><kod_figury>F0007</kod_figury><vykaz_vymer_figury><radek_vykazu_vymer_figury><typ_radku>VYRAZ</typ_radku>" +
      "<vyraz>56,8*0,5</vyraz></radek_vykazu_vymer_figury></vykaz_vymer_figury></figura>"
    const b = unixml(
      figures,
      position(1, line("VYRAZ", "F0005")),
      position(2, line("VYRAZ", "F0007*2")),
      position(3, line("VYRAZ", "F0009"))
    )
    expect(b.positions.map((p) => p.takeoff[0]!.quantity)).toEqual(["100.8", "56.8", null])
  })

  it("rounds KROS's coefficient line to the quantity step and writes it as the XLSX export does", () => {
    const b = unixml("", position(1, line("VYRAZ", "103,886 * 1,05 ' Přepočtené koeficientem množství")))
    expect(b.positions[0]!.takeoff).toEqual([
      { text: "103,886*1,05 'Přepočtené koeficientem množství", quantity: "109.08" }
    ])
  })

  it("reads lines placed directly under <polozka> when it has no <vykaz_vymer>, and only the first list", () => {
    const b = unixml(
      "",
      position(1, line("VYRAZ", "2*3"), "direct"),
      position(2, line("VYRAZ", "4")) +
        `<vykaz_vymer><radky_vykazu_vymer>${line("VYRAZ", "5")}</radky_vykazu_vymer></vykaz_vymer>`
    )
    expect(b.positions.map((p) => p.takeoff)).toEqual([
      [{ text: "2*3", quantity: "6" }],
      [{ text: "4", quantity: "4" }]
    ])
  })
})

const real = fixturesAvailable("boq/rd-valcha.unixml.xml", "boq/kfely-bridge.unixml.xml")

describe.skipIf(!real)(`UNIXML import (real files in ${fixturesDir})`, () => {
  it("rd-valcha: 298 positions in five objects, priced, with take-off lines and KROS rounding", () => {
    const b = parse(requireFixture("boq/rd-valcha.unixml.xml"), "rd-valcha.unixml.xml")
    expect(b.positions).toHaveLength(298)
    expect(b.problems).toEqual([])
    expect(b.settings.rounding).toEqual({ quantity: "0.001", unitPrice: "0.01", total: "0.01", mode: "half-up" })
    expect(b.objects.map((o) => [o.code, o.positionCount, o.total])).toEqual([
      ["SO 1", 119, "4810986.28"],
      ["SO 2", 69, "2531283.38"],
      ["Elektroinstalace", 47, "330370.83"],
      ["ZTI", 49, "433994.49"],
      ["Zámková dlažba", 14, "99162.78"]
    ])
    expect(b.positions.every((p) => p.description !== "" && p.unit !== "")).toBe(true)
    expect(b.positions.filter((p) => p.takeoff.length > 0).length).toBeGreaterThan(140)
    expect(b.positions.filter((p) => p.kind === "material")).toHaveLength(79)
    expect(new Set(b.positions.map((p) => p.positionKey)).size).toBe(298)
  })

  it("kfely-bridge: 153 OTSKP positions in SO 001… with quantities and no prices", () => {
    const b = parse(requireFixture("boq/kfely-bridge.unixml.xml"), "kfely-bridge.unixml.xml")
    expect(b.positions).toHaveLength(153)
    expect(b.objects.map((o) => o.code)).toEqual(["SO 001", "SO 180", "SO 201", "ZS"])
    expect(b.positions.every((p) => p.unitPrice === "0.00" && p.total === "0.00")).toBe(true)
    expect(b.positions.every((p) => /^\d{5,6}[A-Z]?$|^[0-9A-Z]+$/.test(p.code))).toBe(true)
    expect(b.positions.filter((p) => Number(p.quantity) > 0).length).toBeGreaterThan(140)
    expect(b.positions.find((p) => p.positionKey === "SO 001/0/1")).toMatchObject({
      code: "014102",
      unit: "T",
      quantity: "5766.700"
    })
    expect(new Set(b.positions.map((p) => p.positionKey)).size).toBe(153)
  })
})
