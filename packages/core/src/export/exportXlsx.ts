// XLSX export in the layout KROS users know: a "Rekapitulace stavby" sheet, then one sheet per object with the
// header PČ, Typ, Kód, Popis, MJ, Množství, J.cena, Cena celkem, Cenová soustava and rows D / K / M / P / VV;
// totals are ROUND formulas with their cached values, so Excel and our importer read the same numbers.

import { zipSync } from "fflate"
import * as Money from "../budget/Money.ts"
import type { Position } from "../contracts/Position.ts"
import { encodeUtf8 } from "../import/decodeText.ts"
import { columnName } from "../import/readWorkbook.ts"
import { type GroupedBudget, type ObjectGroup, sectionTotal } from "./groupBudget.ts"
import { escapeSpreadsheetText, escapeXml } from "./xmlText.ts"

type CellValue =
  | { readonly kind: "text"; readonly text: string; readonly style?: number }
  | { readonly kind: "number"; readonly value: string; readonly formula?: string; readonly style?: number }

/** Styles (cellXfs): 0 default, 1 bold, 2 "#,##0.00", 3 "0.000". */
const BOLD = 1
const MONEY = 2
const QUANTITY = 3

const text = (t: string, style?: number): CellValue =>
  style === undefined ? { kind: "text", text: t } : { kind: "text", text: t, style }

/** Excel keeps 15 significant digits; a longer number is written as text so its exact value survives. */
const number = (value: string, style: number, formula?: string): CellValue => {
  const digits = value.replace(/^-/, "").replace(".", "").replace(/^0+/, "")
  if (digits.length > 15) return { kind: "text", text: value, style }
  return formula === undefined ? { kind: "number", value, style } : { kind: "number", value, formula, style }
}

type Row = ReadonlyArray<readonly [column: number, value: CellValue]>

const C = { number: 2, type: 3, code: 4, description: 5, unit: 6, quantity: 7, unitPrice: 8, total: 9, catalog: 10 }

const cellXml = (ref: string, v: CellValue): string => {
  const s = v.style === undefined || v.style === 0 ? "" : ` s="${v.style}"`
  if (v.kind === "text")
    return `<c r="${ref}" t="inlineStr"${s}><is><t xml:space="preserve">${escapeSpreadsheetText(v.text)}</t></is></c>`
  const f = v.formula === undefined ? "" : `<f>${escapeXml(v.formula)}</f>`
  return `<c r="${ref}"${s}>${f}<v>${v.value}</v></c>`
}

const sheetXml = (rows: ReadonlyArray<Row>, widths: ReadonlyArray<readonly [number, number]>): string => {
  const body = rows
    .map((row, i) => {
      const r = i + 1
      return `<row r="${r}">${row.map(([c, v]) => cellXml(`${columnName(c)}${r}`, v)).join("")}</row>`
    })
    .join("")
  const cols = widths.map(([c, w]) => `<col min="${c + 1}" max="${c + 1}" width="${w}" customWidth="1"/>`).join("")
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
    `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
    `<cols>${cols}</cols><sheetData>${body}</sheetData></worksheet>`
  )
}

/** ROUND(I*H, n) when the budget rounds totals to 10^-n and the position's total is exactly that. */
const totalFormula = (p: Position, step: string, r: number): string | undefined => {
  const m = /^(?:1|0\.(0*)1)$/.exec(step)
  if (m === null) return undefined
  const computed = Money.roundToStep(
    Money.multiply(Money.parseUnsafe(p.quantity), Money.parseUnsafe(p.unitPrice)),
    Money.parseUnsafe(step)
  )
  if (Money.compare(computed, Money.parseUnsafe(p.total)) !== 0) return undefined
  const digits = step === "1" ? 0 : (m[1]?.length ?? 0) + 1
  return `ROUND(I${r}*H${r},${digits})`
}

const objectRows = (budget: GroupedBudget, object: ObjectGroup): { rows: Array<Row>; totalRow: number } => {
  const currency = budget.settings.currency
  const rows: Array<Row> = [
    [[C.number, text("SOUPIS PRACÍ", BOLD)]],
    [],
    [
      [C.number, text("Stavba:")],
      [C.code, text(budget.name)]
    ],
    [
      [C.number, text("Objekt:")],
      [C.code, text(`${object.code} - ${object.name}`)]
    ],
    [],
    [
      [C.number, text("PČ", BOLD)],
      [C.type, text("Typ", BOLD)],
      [C.code, text("Kód", BOLD)],
      [C.description, text("Popis", BOLD)],
      [C.unit, text("MJ", BOLD)],
      [C.quantity, text("Množství", BOLD)],
      [C.unitPrice, text(`J.cena [${currency}]`, BOLD)],
      [C.total, text(`Cena celkem [${currency}]`, BOLD)],
      [C.catalog, text("Cenová soustava", BOLD)]
    ]
  ]
  const totalRow = rows.length + 1
  const body: Array<Row> = []
  const first = totalRow + 1
  for (const section of object.sections) {
    if (section.code !== "")
      body.push([
        [C.type, text("D", BOLD)],
        [C.code, text(section.code, BOLD)],
        [C.description, text(section.name, BOLD)],
        [C.total, number(sectionTotal(object, section.code), MONEY)]
      ])
    for (const p of section.positions) {
      const r = first + body.length
      const formula = totalFormula(p, budget.settings.rounding.total, r)
      body.push([
        [C.number, text(p.number)],
        [C.type, text(p.kind === "material" ? "M" : "K")],
        [C.code, text(p.code)],
        [C.description, text(p.description)],
        [C.unit, text(p.unit)],
        [C.quantity, number(p.quantity, QUANTITY)],
        [C.unitPrice, number(p.unitPrice, MONEY)],
        [C.total, number(p.total, MONEY, formula)],
        [C.catalog, text(p.catalog)]
      ])
      if (p.note !== "")
        body.push([
          [C.type, text("P")],
          [C.description, text(`Poznámka k položce:\n${p.note}`)]
        ])
      for (const line of p.takeoff)
        body.push([
          [C.type, text("VV")],
          [C.description, text(line.text)],
          ...(line.quantity === null ? [] : [[C.quantity, number(line.quantity, QUANTITY)] as const])
        ])
    }
  }
  const last = Math.max(first, first + body.length - 1)
  const range = (c: string) => `${c}${first}:${c}${last}`
  rows.push([
    [C.number, text("Náklady soupisu celkem", BOLD)],
    [
      C.total,
      number(object.total, MONEY, `SUMIF(${range("D")},"K",${range("J")})+SUMIF(${range("D")},"M",${range("J")})`)
    ]
  ])
  rows.push(...body)
  return { rows, totalRow }
}

/** Excel sheet names: at most 31 characters, none of : \ / ? * [ ], unique ignoring case. */
const sheetNames = (objects: ReadonlyArray<ObjectGroup>): Array<string> => {
  const used = new Set<string>(["rekapitulace stavby"])
  return objects.map((o, i) => {
    let base = `${o.code} - ${o.name}`.replace(/[:\\/?*[\]]/g, " ").trim()
    if (base === "-" || base === "") base = `Objekt ${i + 1}`
    let name = base.length > 31 ? `${base.slice(0, 28).trimEnd()}...` : base
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base.slice(0, 26).trimEnd()} (${n})`
    used.add(name.toLowerCase())
    return name
  })
}

const quoteSheet = (name: string): string => `'${name.replace(/'/g, "''")}'`

const czechDate = (iso: string | null): string => {
  const m = iso === null ? null : /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso)
  return m === null ? "" : `${Number(m[3])}. ${Number(m[2])}. ${m[1]}`
}

export const exportXlsx = (budget: GroupedBudget): Uint8Array => {
  const names = sheetNames(budget.objects)
  const sheets = budget.objects.map((o) => objectRows(budget, o))
  const recap: Array<Row> = [
    [[2, text("REKAPITULACE STAVBY", BOLD)]],
    [],
    [
      [2, text("Kód:")],
      [4, text(budget.code)]
    ],
    [
      [2, text("Stavba:")],
      [4, text(budget.name)]
    ],
    [
      [2, text("Datum:")],
      [4, text(czechDate(budget.date))]
    ],
    [],
    [
      [2, text("Kód", BOLD)],
      [3, text("Popis", BOLD)],
      [4, text(`Cena bez DPH [${budget.settings.currency}]`, BOLD)]
    ],
    ...budget.objects.map(
      (o, i): Row => [
        [2, text(o.code)],
        [3, text(o.name)],
        [4, number(o.total, MONEY, `${quoteSheet(names[i]!)}!J${sheets[i]!.totalRow}`)]
      ]
    )
  ]
  const all = [
    {
      name: "Rekapitulace stavby",
      xml: sheetXml(recap, [
        [2, 16],
        [3, 50],
        [4, 20]
      ])
    },
    ...sheets.map((s, i) => ({
      name: names[i]!,
      xml: sheetXml(s.rows, [
        [C.number, 6],
        [C.type, 5],
        [C.code, 14],
        [C.description, 60],
        [C.unit, 6],
        [C.quantity, 12],
        [C.unitPrice, 14],
        [C.total, 16],
        [C.catalog, 16]
      ])
    }))
  ]
  const ns = "http://schemas.openxmlformats.org"
  const files: Record<string, Uint8Array> = {
    "[Content_Types].xml": encodeUtf8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="${ns}/package/2006/content-types">` +
        `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
        `<Default Extension="xml" ContentType="application/xml"/>` +
        `<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
        `<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
        all
          .map(
            (_, i) =>
              `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`
          )
          .join("") +
        `</Types>`
    ),
    "_rels/.rels": encodeUtf8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="${ns}/package/2006/relationships">` +
        `<Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
        `</Relationships>`
    ),
    "xl/workbook.xml": encodeUtf8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="${ns}/spreadsheetml/2006/main" ` +
        `xmlns:r="${ns}/officeDocument/2006/relationships"><sheets>` +
        all.map((s, i) => `<sheet name="${escapeXml(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join("") +
        `</sheets><calcPr fullCalcOnLoad="1"/></workbook>`
    ),
    "xl/_rels/workbook.xml.rels": encodeUtf8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="${ns}/package/2006/relationships">` +
        all
          .map(
            (_, i) =>
              `<Relationship Id="rId${i + 1}" Type="${ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`
          )
          .join("") +
        `<Relationship Id="rId${all.length + 1}" Type="${ns}/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
        `</Relationships>`
    ),
    "xl/styles.xml": encodeUtf8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="${ns}/spreadsheetml/2006/main">` +
        `<numFmts count="1"><numFmt numFmtId="164" formatCode="0.000"/></numFmts>` +
        `<fonts count="2"><font><sz val="10"/><name val="Arial"/></font><font><b/><sz val="10"/><name val="Arial"/></font></fonts>` +
        `<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
        `<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
        `<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
        `<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
        `<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>` +
        `<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
        `<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>` +
        `</styleSheet>`
    )
  }
  all.forEach((s, i) => {
    files[`xl/worksheets/sheet${i + 1}.xml`] = encodeUtf8(s.xml)
  })
  // A fixed timestamp keeps the output byte-for-byte deterministic.
  return zipSync(files, { level: 6, mtime: new Date(Date.UTC(2000, 0, 1)) })
}
