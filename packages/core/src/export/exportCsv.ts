// CSV export: a D row per section, one row per position (Typ K/M) followed by its take-off lines (Typ VV), with
// object and section columns so every row stands alone; ";" separated, decimal comma, UTF-8 with BOM — what Czech Excel opens.
import Papa from "papaparse"
import { encodeUtf8 } from "../import/decodeText.ts"
import type { GroupedBudget } from "./groupBudget.ts"

const comma = (decimal: string): string => decimal.replace(".", ",")

/** Text a spreadsheet would run as a formula gets a leading "'"; the CSV importer removes it again. */
const safe = (text: string): string => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text)

export const exportCsv = (budget: GroupedBudget): Uint8Array => {
  const currency = budget.settings.currency
  const rows: Array<Array<string>> = [
    [
      "Objekt",
      "Název objektu",
      "Díl",
      "Název dílu",
      "PČ",
      "Typ",
      "Kód",
      "Popis",
      "MJ",
      "Množství",
      `J.cena [${currency}]`,
      `Cena celkem [${currency}]`,
      "Cenová soustava",
      "Poznámka"
    ]
  ]
  for (const object of budget.objects)
    for (const section of object.sections) {
      // D rows carry the section names and, by KROS's order (a group's D row directly above its first child's),
      // the díl hierarchy; the Díl column on every position row makes each row stand alone.
      if (section.code !== "")
        rows.push([
          safe(object.code),
          safe(object.name),
          "",
          "",
          "",
          "D",
          safe(section.code),
          safe(section.name),
          "",
          "",
          "",
          "",
          "",
          ""
        ])
      for (const p of section.positions) {
        const head = [safe(object.code), safe(object.name), safe(section.code), safe(section.name)]
        rows.push([
          ...head,
          safe(p.number),
          p.kind === "material" ? "M" : "K",
          safe(p.code),
          safe(p.description),
          safe(p.unit),
          comma(p.quantity),
          comma(p.unitPrice),
          comma(p.total),
          safe(p.catalog),
          safe(p.note)
        ])
        for (const line of p.takeoff)
          rows.push([
            ...head,
            "",
            "VV",
            "",
            safe(line.text),
            "",
            line.quantity === null ? "" : comma(line.quantity),
            "",
            "",
            "",
            ""
          ])
      }
    }
  return encodeUtf8(`\ufeff${Papa.unparse(rows, { delimiter: ";", newline: "\r\n" })}\r\n`)
}
