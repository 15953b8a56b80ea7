// XLSX budgets: the KROS export (one sheet per object, a recapitulation sheet, "Seznam figur") and other layouts
// whose header row is found by column names. A sheet that is neither a budget nor a known KROS page fails the import.
import * as Money from "../budget/Money.ts"
import { defaultBudgetSettings } from "../contracts/BudgetSettings.ts"
import type { ParsedBudget, SheetRole } from "../contracts/ParsedBudget.ts"
import { RoundingStep } from "../contracts/Rounding.ts"
import { BudgetBuilder } from "./BudgetBuilder.ts"
import { cellText, findHeader, type HeaderMatch, likelyHeaders } from "./headerMapping.ts"
import { type ImportContext, importError } from "./ImportContext.ts"
import { importTable } from "./importTable.ts"
import { parseDate } from "./parseDate.ts"
import { readWorkbook, type Sheet, type SheetRow } from "./readWorkbook.ts"

interface Classified {
  readonly sheet: Sheet
  /** "unmapped": has content but neither a header row nor a known KROS title. */
  readonly role: SheetRole | "unmapped"
  readonly header?: { readonly index: number; readonly header: HeaderMatch }
}

const titles: ReadonlyArray<readonly [RegExp, SheetRole]> = [
  [/rekapitulace/i, "recapitulation"],
  [/seznam figur/i, "figures"],
  [/kryc[ií] list/i, "cover"]
]

const sheetTexts = (rows: ReadonlyArray<SheetRow>): string =>
  rows.flatMap((r) => r.cells.map((c) => (c?.kind === "text" ? c.text : ""))).join("\n")

const classify = (sheet: Sheet): Classified => {
  const header = findHeader(sheet.rows)
  // KROS's figure list has a Kód/Popis/MJ/Výměra header of its own, but it lists figures, not positions.
  if (header !== undefined && /seznam figur/i.test(sheetTexts(sheet.rows.slice(0, header.index))))
    return { sheet, role: "figures" }
  if (header !== undefined) return { sheet, role: "budget", header }
  if (sheet.rows.every((r) => r.cells.every((c) => cellText(c) === ""))) return { sheet, role: "empty" }
  const texts = sheetTexts(sheet.rows.slice(0, 100))
  for (const [pattern, role] of titles) if (pattern.test(texts) || pattern.test(sheet.name)) return { sheet, role }
  return { sheet, role: "unmapped" }
}

/** The value written next to (or below) a label such as "Stavba:" in the rows before a header. */
const labelValue = (rows: ReadonlyArray<SheetRow>, label: string): string => {
  const wanted = label.toLowerCase()
  for (let i = 0; i < rows.length; i++) {
    const cells = rows[i]!.cells
    const at = cells.findIndex((c) => cellText(c).toLowerCase() === wanted)
    if (at < 0) continue
    const right = cells.slice(at + 1).find((c) => cellText(c) !== "")
    if (right !== undefined) return cellText(right)
    const below = rows[i + 1]?.cells.slice(at).find((c) => cellText(c) !== "")
    return below === undefined ? "" : cellText(below)
  }
  return ""
}

/** KROS recapitulation rows reference each object sheet in a formula ('SO 1 - Dům'!J30): sheet → code and name. */
const recapObjects = (recaps: ReadonlyArray<Sheet>, sheetNames: ReadonlyArray<string>) => {
  const map = new Map<string, { code: string; name: string }>()
  for (const recap of recaps)
    for (const row of recap.rows) {
      const formulas = row.cells.map((c) => c?.formula ?? "").join("\n")
      const sheet = sheetNames.find(
        (n) => formulas.includes(`'${n.replace(/'/g, "''")}'!`) || formulas.includes(`${n}!`)
      )
      if (sheet === undefined || map.has(sheet)) continue
      // Text cells in column order: KROS has "/" in column A, then code and name; an empty code is kept as "".
      const texts = row.cells
        .filter((c) => c !== undefined && c.kind === "text" && c.formula === null)
        .map((c) => cellText(c))
        .filter((t) => t !== "/")
      if (texts[0] !== undefined) map.set(sheet, { code: texts[0], name: texts[1] ?? "" })
    }
  return map
}

const splitCodeName = (text: string): { code: string; name: string } => {
  const i = text.indexOf(" - ")
  return i < 0 ? { code: text.trim(), name: "" } : { code: text.slice(0, i).trim(), name: text.slice(i + 3).trim() }
}

/** KROS writes totals as ROUND(I*H, n): n is the budget's total rounding. */
const totalStep = (sheets: ReadonlyArray<Classified>): string | null => {
  for (const { sheet, header } of sheets) {
    const column = header?.header.columns.total
    if (header === undefined || column === undefined) continue
    for (const row of sheet.rows.slice(header.index + 1)) {
      const m = /^ROUND\([^,]*\*[^,]*,\s*(\d{1,2})\s*\)$/i.exec(row.cells[column]?.formula?.trim() ?? "")
      if (m !== null) return Money.formatAtLeast({ units: 1n, scale: Number(m[1]) })
    }
  }
  return null
}

export const parseXlsx = (bytes: Uint8Array, ctx: ImportContext): ParsedBudget => {
  const classified = readWorkbook(bytes, ctx).map(classify)
  for (const c of classified)
    if (c.role === "unmapped")
      throw importError(
        ctx,
        "unmapped-sheet",
        `The sheet "${c.sheet.name}" has no header row naming the budget columns (e.g. Kód, Popis, MJ, Množství, ` +
          `J.cena, Cena celkem). Rename its column headers or remove the sheet.`,
        { where: c.sheet.name, headersFound: likelyHeaders(c.sheet.rows) }
      )
  const budgets = classified.filter((c) => c.role === "budget")
  if (budgets.length === 0) throw importError(ctx, "empty", "The workbook has no budget sheet.")
  const recaps = classified.filter((c) => c.role === "recapitulation").map((c) => c.sheet)
  const objects = recapObjects(
    recaps,
    budgets.map((b) => b.sheet.name)
  )
  const firstHeader = budgets[0]!.header!.header
  const step = totalStep(budgets)
  const builder = new BudgetBuilder({
    currency: firstHeader.currency ?? defaultBudgetSettings.currency,
    rounding: {
      ...defaultBudgetSettings.rounding,
      ...(step === null ? {} : { total: RoundingStep.make(step) })
    }
  })
  const infoRows = recaps[0]?.rows ?? budgets[0]!.sheet.rows.slice(0, budgets[0]!.header!.index)

  for (const { sheet, header } of budgets) {
    const { index, header: match } = header!
    const before = sheet.rows.slice(0, index)
    const labelled = labelValue(before, "Objekt:") || labelValue(before, "Soupis:")
    const object = objects.get(sheet.name) ?? splitCodeName(labelled || sheet.name)
    importTable(
      {
        sheet: sheet.name,
        rows: sheet.rows,
        headerIndex: index,
        header: match,
        objectCode: object.code,
        objectName: object.name,
        decimalSeparator: ",",
        unescapeFormulae: false
      },
      builder
    )
  }
  return builder.build({
    format: "xlsx",
    fileName: ctx.fileName,
    layout: budgets.every((b) => b.header!.header.dialect === "kros") ? "kros" : "generic",
    code: labelValue(infoRows, "Kód:"),
    name: labelValue(infoRows, "Stavba:"),
    date: parseDate(labelValue(infoRows, "Datum:")),
    sheets: classified.flatMap((c) => (c.role === "unmapped" ? [] : [{ name: c.sheet.name, role: c.role }]))
  })
}
