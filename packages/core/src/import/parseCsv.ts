// CSV budgets: UTF-8 or Windows-1250, ";" "," or tab separated, decimal comma or point, header row found by column
// names (Czech or English). Tokenising is papaparse's; everything after the header goes through importTable.
import Papa from "papaparse"
import { defaultBudgetSettings } from "../contracts/BudgetSettings.ts"
import type { ParsedBudget } from "../contracts/ParsedBudget.ts"
import { BudgetBuilder, location } from "./BudgetBuilder.ts"
import { decodeText } from "./decodeText.ts"
import { findHeader, likelyHeaders } from "./headerMapping.ts"
import { type ImportContext, importError } from "./ImportContext.ts"
import { importTable } from "./importTable.ts"
import type { SheetRow } from "./readWorkbook.ts"

const toRows = (records: ReadonlyArray<ReadonlyArray<string>>): Array<SheetRow> =>
  records.map((record, i) => ({
    row: i + 1,
    cells: record.map((value) => (value === "" ? undefined : { kind: "text", text: value, formula: null }))
  }))

/**
 * The separator under which the first lines hold the best budget header (most columns recognised); counting
 * separators alone fails on files whose notes are full of commas.
 */
export const detectDelimiter = (text: string): string => {
  let best = ";"
  let bestScore = 0
  for (const delimiter of [";", "\t", ","]) {
    const found = findHeader(toRows(Papa.parse(text, { delimiter, preview: 50 }).data), 50)
    const score = found === undefined ? 0 : Object.keys(found.header.columns).length
    if (score > bestScore) {
      best = delimiter
      bestScore = score
    }
  }
  return best
}

export const parseCsv = (bytes: Uint8Array, ctx: ImportContext): ParsedBudget => {
  const { text } = decodeText(bytes)
  if (text.trim() === "") throw importError(ctx, "empty", "The CSV file is empty.")
  const delimiter = detectDelimiter(text)
  const parsed = Papa.parse(text, { delimiter, skipEmptyLines: false })
  if (parsed.data.length > ctx.limits.maxRows)
    throw importError(ctx, "too-many-rows", `The CSV file has more than ${ctx.limits.maxRows} rows.`)
  const rows = toRows(parsed.data)
  const found = findHeader(rows, 50)
  if (found === undefined)
    throw importError(
      ctx,
      "unmapped-sheet",
      "The CSV file has no header row naming the budget columns (e.g. Kód, Popis, MJ, Množství, Jednotková cena, " +
        "Cena celkem, or Code, Description, Unit, Quantity, Unit price, Total).",
      { headersFound: likelyHeaders(rows) }
    )
  const builder = new BudgetBuilder({
    ...defaultBudgetSettings,
    currency: found.header.currency ?? defaultBudgetSettings.currency
  })
  for (const e of parsed.errors)
    builder.problem("malformed-row", `CSV: ${e.message}`, location({ row: (e.row ?? 0) + 1 }), e.code, null, "error")
  importTable(
    {
      sheet: null,
      rows,
      headerIndex: found.index,
      header: found.header,
      objectCode: "",
      objectName: "",
      decimalSeparator: delimiter === "," ? "." : ",",
      unescapeFormulae: true
    },
    builder
  )
  return builder.build({
    format: "csv",
    fileName: ctx.fileName,
    layout: found.header.dialect,
    code: "",
    name: "",
    date: null,
    sheets: []
  })
}
