// Deno 2 suite for @costline/core: the real import, export, change, diff and audit functions run under Deno (no node:
// modules, WHATWG TextDecoder for Windows-1250, saxes/fflate/papaparse from node_modules). Real budgets come from
// COSTLINE_FIXTURES_DIR (default ../shared/data beside the repo); those tests are skipped, with a message, without it.

import { Effect, Result, Schema } from "effect"
import {
  applyChanges,
  auditPositions,
  type BudgetHead,
  builtinExperts,
  ChangeError,
  defaultBudgetSettings,
  diffFields,
  diffVersions,
  exportBudget,
  ImportError,
  loadTskp,
  Money,
  type ParsedBudget,
  ParsedBudget as ParsedBudgetSchema,
  type Position,
  parseBudget
} from "../../packages/core/src/index.ts"

const assert = (condition: unknown, message: string): void => {
  if (!condition) throw new Error(message)
}
const assertEquals = (actual: unknown, expected: unknown, message: string): void => {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)]
  if (a !== e) throw new Error(`${message}\n  expected ${e}\n  actual   ${a}`)
}

const repoRoot = new URL("../../", import.meta.url)
const fixturesDir = new URL(`${Deno.env.get("COSTLINE_FIXTURES_DIR") || "../shared/data"}/`, repoRoot)
const exists = (url: URL): boolean => {
  try {
    Deno.statSync(url)
    return true
  } catch {
    return false
  }
}
const realFiles = ["boq/rd-valcha.unixml.xml", "boq/rd-valcha.xlsx", "catalog/tskp-tridnik.xml"]
const missing = realFiles.filter((f) => !exists(new URL(f, fixturesDir)))
if (missing.length > 0)
  console.warn(
    `[fixtures] SKIPPING the real-data Deno tests: ${missing.join(", ")} not found in ${fixturesDir.pathname} ` +
      "(set COSTLINE_FIXTURES_DIR to the directory holding the real data)."
  )
const readReal = (relative: string): Promise<Uint8Array> => Deno.readFile(new URL(relative, fixturesDir))
const coreFixture = (name: string): Promise<Uint8Array> =>
  Deno.readFile(new URL(`packages/core/test/fixtures/${name}`, repoRoot))

const encode = (text: string): Uint8Array => new TextEncoder().encode(text)
const parse = (bytes: Uint8Array): Promise<ParsedBudget> => Effect.runPromise(parseBudget(bytes))

const unixml = `<?xml version="1.0" encoding="utf-8"?>
<unixml format="unixml_cz" verze="1.2"><stavba>
  <kod_stavby>D-1</kod_stavby><nazev_stavby>Deno &amp; stavba</nazev_stavby><datum>01.02.2025</datum>
  <nastaveni><zaokrouhleni_rozpocet><jednotkova_cena>0,01</jednotkova_cena><mnozstvi>0,001</mnozstvi>
    <celkova_cena>0,01</celkova_cena></zaokrouhleni_rozpocet><mena><mena_rozpocet>CZK</mena_rozpocet></mena></nastaveni>
  <objekty><objekt><kod_objektu>SO 1</kod_objektu><nazev_objektu>Dům</nazev_objektu>
    <zdroje><zdroje_dily><zdroj_dil><kod_dilu>2</kod_dilu><nazev_dilu>Zakládání</nazev_dilu></zdroj_dil></zdroje_dily>
      <zdroje_konstrukce>
        <zdroj_konstrukce><kod_polozky>274313611</kod_polozky><zkraceny_popis_polozky>Základové pasy z betonu tř. C 16/20</zkraceny_popis_polozky><merna_jednotka>m3</merna_jednotka><cenova_soustava>CS ÚRS 2025 02</cenova_soustava></zdroj_konstrukce>
        <zdroj_konstrukce><kod_polozky>274351121</kod_polozky><zkraceny_popis_polozky>Zřízení bednění základových pasů</zkraceny_popis_polozky><merna_jednotka>m2</merna_jednotka><cenova_soustava>CS ÚRS 2025 02</cenova_soustava></zdroj_konstrukce>
      </zdroje_konstrukce></zdroje>
    <dily><dil><kod_dilu>2</kod_dilu><polozky>
      <polozka><typ_vety>K</typ_vety><kod_polozky>274313611</kod_polozky><cislo_polozky>9</cislo_polozky>
        <mnozstvi>22,72</mnozstvi><jednotkova_cena>4150</jednotkova_cena>
        <vykaz_vymer><radky_vykazu_vymer><radek_vykazu_vymer><typ_radku>VYRAZ</typ_radku><vyraz>56,8*0,8*0,5</vyraz><kod_figury></kod_figury></radek_vykazu_vymer></radky_vykazu_vymer></vykaz_vymer>
      </polozka>
      <polozka><typ_vety>K</typ_vety><kod_polozky>274351121</kod_polozky><cislo_polozky>10</cislo_polozky>
        <mnozstvi>21,2</mnozstvi><jednotkova_cena>421</jednotkova_cena></polozka>
    </polozky></dil></dily>
  </objekt></objekty>
</stavba></unixml>`

const csv =
  "Kód;Popis;MJ;Množství;J.cena;Cena celkem\n" +
  "274313611;Základové pasy z betonu tř. C 16/20;m3;22,72;4150;94 288,00\n" +
  "274351121;Zřízení bednění základových pasů;m2;21,2;421;8 925,20\n"

Deno.test("parseBudget reads a synthetic UNIXML: structure, decimal comma, take-off lines, exact totals", async () => {
  const b = await parse(encode(unixml))
  assert(Schema.is(ParsedBudgetSchema)(b), "the result fits the ParsedBudget contract")
  assertEquals(b.meta.format, "unixml", "format detected from the content")
  assertEquals(
    b.positions.map((p) => [p.positionKey, p.code, p.unit, p.quantity, p.unitPrice, p.total]),
    [
      ["SO 1/2/9", "274313611", "m3", "22.720", "4150.00", "94288.00"],
      ["SO 1/2/10", "274351121", "m2", "21.200", "421.00", "8925.20"]
    ],
    "positions"
  )
  assertEquals(b.positions[0]!.takeoff, [{ text: "56,8*0,8*0,5", quantity: "22.72" }], "take-off line evaluated")
  assertEquals(
    b.objects.map((o) => [o.code, o.total]),
    [["SO 1", "103213.20"]],
    "object total"
  )
  assertEquals(b.problems, [], "no problems")
})

Deno.test("parseBudget reads CSV: UTF-8 with decimal comma, and the Windows-1250 fixture with its row problems", async () => {
  const b = await parse(encode(csv))
  assertEquals(b.meta.format, "csv", "format detected")
  assertEquals(
    b.positions.map((p) => [p.code, p.quantity, p.total]),
    [
      ["274313611", "22.720", "94288.00"],
      ["274351121", "21.200", "8925.20"]
    ],
    "CSV positions"
  )
  const cp1250 = await parse(await coreFixture("generic-cp1250.csv"))
  assert(
    cp1250.positions.some((p) => p.description === "Odstranění podkladu z kameniva drceného"),
    "Windows-1250 decoded"
  )
  const kinds = cp1250.problems.map((p) => `${p.kind}@${p.location.row}`)
  assert(kinds.includes("unparseable-number@7"), `unparseable number reported with its row: ${kinds.join(", ")}`)
  assert(
    kinds.some((k) => k.startsWith("unknown-row-type@")),
    "unknown row type reported"
  )
})

Deno.test("parseBudget fails with an ImportError on billion-laughs XML and on an unmappable CSV", async () => {
  const laughs = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><unixml>&b;</unixml>`
  for (const [bytes, reason] of [
    [encode(laughs), "unsafe-xml"],
    [encode("Datum;Autor;Text\n1;2;3\n"), "unmapped-sheet"]
  ] as const) {
    const error = await Effect.runPromise(Effect.flip(parseBudget(bytes)))
    assert(error instanceof ImportError, "an ImportError")
    assertEquals(error.reason, reason, "reason")
  }
})

Deno.test("exportBudget round trip: CSV, XLSX and UNIXML give back the same positions", async () => {
  const b = await parse(await coreFixture("small.unixml.xml"))
  // UNIXML carries a take-off line's expression, not its value: the values come back computed from the expressions.
  for (const format of ["csv", "xlsx", "unixml"] as const) {
    const bytes = await Effect.runPromise(exportBudget(b, format))
    const back = await parse(bytes)
    assertEquals(back.meta.format, format, `${format} detected`)
    assertEquals(back.positions, b.positions, `${format} positions`)
  }
})

const head = (positions: ReadonlyArray<Position>): BudgetHead => ({
  version: 1,
  settings: defaultBudgetSettings,
  positions
})

Deno.test("applyChanges reprices exactly, carries totals per object and section, and names a bad change", async () => {
  const b = await parse(encode(unixml))
  const [pasy, bedneni] = b.positions as [Position, Position]
  const result = await Effect.runPromise(
    applyChanges(head(b.positions), [
      { _tag: "UpdatePosition", positionKey: pasy.positionKey, patch: { quantity: "0.1" as Position["quantity"] } },
      {
        _tag: "SetUnitPriceFromCatalog",
        positionKey: bedneni.positionKey,
        item: { code: "274351121", unitPrice: "433.33" as Position["unitPrice"], source: "CS ÚRS 2026 01" }
      }
    ])
  )
  assertEquals(result.head.version, 2, "next version")
  // 0.1 × 4150 = 415.00; 21.2 × 433.33 = 9186.596 → 9186.60.
  assertEquals(
    result.head.positions.map((p) => p.total),
    ["415.00", "9186.60"],
    "totals recomputed"
  )
  assertEquals(result.totals.total, "9601.60", "grand total")
  assertEquals(
    result.totals.sections.map((s) => [s.objectCode, s.sectionCode, s.total]),
    [["SO 1", "2", "9601.60"]],
    "section totals"
  )
  assertEquals(
    result.diff.modified.map((m) => m.changes.map((c) => c.field)),
    [
      ["quantity", "total"],
      ["catalog", "unitPrice", "total"]
    ],
    "diff of the change set"
  )
  const failed = Effect.runSync(
    Effect.result(
      applyChanges(head(b.positions), [
        { _tag: "RemovePosition", positionKey: pasy.positionKey },
        { _tag: "UpdatePosition", positionKey: bedneni.positionKey, patch: { unit: "furlong" } }
      ])
    )
  )
  assert(Result.isFailure(failed) && failed.failure instanceof ChangeError, "a ChangeError")
  if (Result.isFailure(failed))
    assertEquals(
      [failed.failure.changeIndex, failed.failure.field, failed.failure.reason],
      [1, "patch.unit", "unknown_unit"],
      "the error names the change, the field and the reason"
    )
})

Deno.test("diffVersions: renumbering is a move, the cost bridge sums exactly", async () => {
  const before = (await parse(encode(unixml))).positions
  const after = before.map((p, i) =>
    i === 0
      ? {
          ...p,
          positionKey: "new",
          number: "90",
          quantity: "25.000" as Position["quantity"],
          total: "103750.00" as Position["total"]
        }
      : p
  )
  const diff = diffVersions(before, after)
  assertEquals(
    [diff.added.length, diff.removed.length, diff.moved.length, diff.unchangedCount],
    [0, 0, 1, 1],
    "one move, no add/remove"
  )
  assertEquals(diff.moved[0]!.matchedBy, "content", "matched by content")
  const parts = [
    diff.bridge.quantityEffect,
    diff.bridge.priceEffect,
    diff.bridge.addedScope,
    diff.bridge.removedScope,
    diff.bridge.rounding
  ]
  assertEquals(Money.formatAtLeast(Money.sum(parts.map(Money.parseUnsafe))), "9462", "parts sum to the delta")
  assertEquals(diff.bridge.total, "9462.00", "bridge total")
})

const tskpMini = `<BuildingInformation><Classification><System><EditionVersion>deno</EditionVersion></System><Items>
  <Item><ID>2</ID><Name>Zakládání</Name><Children>
    <Item><ID>27</ID><Name>Základy</Name><Children><Item><ID>274</ID><Name>Základové pasy</Name></Item></Children></Item>
  </Children></Item></Items></Classification></BuildingInformation>`

Deno.test("auditPositions with the built-in experts: the classifier, concrete classes and arithmetic", async () => {
  const tskp = await Effect.runPromise(loadTskp(encode(tskpMini)))
  const positions = (await parse(encode(unixml))).positions
  const broken = positions.map((p, i) =>
    i === 0 ? { ...p, description: "Základové pasy z betonu tř. C 31/37", total: "94000.00" as Position["total"] } : p
  )
  const result = await Effect.runPromise(auditPositions(broken, builtinExperts, { tskp }))
  assertEquals(result.failures, [], "no expert failed")
  assertEquals(
    result.resolutions.map((r) => [r.positionKey, r.status, r.rule]),
    [
      ["SO 1/2/9", "RED", "veto"],
      ["SO 1/2/10", "GREEN", "unanimous"]
    ],
    "resolutions"
  )
  const issues = result.opinions.flatMap((o) => o.issues.map((i) => i.type))
  for (const type of ["total-mismatch", "invalid-strength-class"]) assert(issues.includes(type), `${type} found`)
})

Deno.test({
  name: "real data: rd-valcha UNIXML and XLSX give the same 298 positions, an empty diff and an all-GREEN audit",
  ignore: missing.length > 0,
  fn: async () => {
    const u = await parse(await readReal("boq/rd-valcha.unixml.xml"))
    const x = await parse(await readReal("boq/rd-valcha.xlsx"))
    assertEquals([u.positions.length, x.positions.length], [298, 298], "298 positions each")
    assertEquals(
      x.objects.map((o) => o.total),
      u.objects.map((o) => o.total),
      "same object totals"
    )
    // Only the price system differs: rd-valcha.xlsx states none (see crossFormat.test.ts); take-off values agree.
    const shared = diffFields.filter((f) => f !== "catalog")
    const diff = diffVersions(u.positions, x.positions, { fields: shared })
    assertEquals(
      [diff.added.length, diff.removed.length, diff.modified.length, diff.moved.length, diff.unchangedCount],
      [0, 0, 0, 0, 298],
      "empty diff"
    )
    const tskp = await Effect.runPromise(loadTskp(await readReal("catalog/tskp-tridnik.xml")))
    const audit = await Effect.runPromise(auditPositions(u.positions, builtinExperts, { tskp }))
    assertEquals(audit.resolutions.filter((r) => r.status !== "GREEN").length, 0, "all GREEN")
  }
})
