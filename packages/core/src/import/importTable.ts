// Reads the rows below a budget table's header (an XLSX sheet or a CSV file) into the builder: sections, positions,
// take-off lines, notes and summaries by row type (KROS: D, K, M, VV, P, PP, PSC; others: P, PP, VV, TS…).
import type * as Money from "../budget/Money.ts"
import type { ProblemLocation } from "../contracts/ImportProblem.ts"
import { type BudgetBuilder, location } from "./BudgetBuilder.ts"
import { fromSpreadsheetNumber, parseNumberText } from "./decimalText.ts"
import { type ColumnRole, cellText, type HeaderMatch } from "./headerMapping.ts"
import { columnName, type SheetRow } from "./readWorkbook.ts"

export interface TableSource {
  /** Sheet name for problem locations; null for CSV. */
  readonly sheet: string | null
  readonly rows: ReadonlyArray<SheetRow>
  /** Index in `rows` of the header row. */
  readonly headerIndex: number
  readonly header: HeaderMatch
  /** Object the rows belong to unless an object column or object row says otherwise. */
  readonly objectCode: string
  readonly objectName: string
  /** What a lone comma means in text numbers. */
  readonly decimalSeparator: "," | "."
  /** CSV written by exportBudget prefixes "'" to text starting with = + - @ (formula injection); undo it. */
  readonly unescapeFormulae: boolean
}

type RowKind = "work" | "material" | "section" | "takeoff" | "note" | "object" | "summary" | "content" | "unknown"

const krosTypes: Record<string, RowKind> = {
  K: "work",
  M: "material",
  D: "section",
  VV: "takeoff",
  P: "note",
  PP: "note",
  PSC: "note",
  "ONLINE PSC": "note"
}

const genericTypes: Record<string, RowKind> = {
  K: "work",
  P: "work",
  R: "work",
  POL: "work",
  M: "material",
  D: "section",
  DIL: "section",
  DÍL: "section",
  VV: "takeoff",
  V: "takeoff",
  PP: "note",
  TS: "note",
  PSC: "note",
  "ONLINE PSC": "note",
  POZ: "note",
  SO: "object",
  O: "object",
  OBJ: "object",
  OBJEKT: "object"
}

/** Prefixes KROS puts in front of note rows, dropped so notes read the same as UNIXML `poznamka_polozky`. */
const notePrefixes = /^(Poznámka k položce|Plný popis|Poznámka|Technická specifikace):[ \t]*\n?/

const formulaEscape = /^'(?=[=+\-@\t\r])/

export interface TableResult {
  /** The "Náklady soupisu celkem" / total row's value, when the table has one. */
  readonly declaredTotal: Money.Money | null
}

export const importTable = (source: TableSource, builder: BudgetBuilder): TableResult => {
  const { columns, dialect } = source.header
  const types = dialect === "kros" ? krosTypes : genericTypes
  let objectCode = source.objectCode
  let sectionCode = ""
  let current: number | null = null
  let declaredTotal: Money.Money | null = null
  let group: string | null = null
  // A CSV without objects has none to announce; its positions register object "" themselves if they need it.
  if (objectCode !== "" || source.objectName !== "") builder.object(objectCode, source.objectName)
  const typeColumn = columns.type
  /** KROS nests díly one level (HSV → 1, 2…): a D row followed directly by another D row is a group. */
  const nextIsSection = (i: number): boolean => {
    for (let j = i + 1; j < source.rows.length; j++) {
      const next = source.rows[j]!
      if (next.cells.every((c) => cellText(c) === "")) continue
      return typeColumn !== undefined && cellText(next.cells[typeColumn]).toUpperCase() === "D"
    }
    return false
  }

  for (let i = source.headerIndex + 1; i < source.rows.length; i++) {
    const row = source.rows[i]!
    const at = (column?: ColumnRole): ProblemLocation =>
      location({
        sheet: source.sheet,
        row: row.row,
        column: column === undefined || columns[column] === undefined ? null : columnName(columns[column]!)
      })
    const cell = (role: ColumnRole) => {
      const index = columns[role]
      return index === undefined ? undefined : row.cells[index]
    }
    const text = (role: ColumnRole): string => {
      const t = cellText(cell(role))
      return source.unescapeFormulae ? t.replace(formulaEscape, "") : t
    }
    const number = (role: ColumnRole, problem: boolean): Money.Money | null => {
      const c = cell(role)
      const raw = cellText(c)
      if (c === undefined || raw === "") return null
      const value =
        c.kind === "number"
          ? fromSpreadsheetNumber(raw)
          : c.kind === "text"
            ? parseNumberText(raw, source.decimalSeparator)
            : undefined
      if (value === undefined && problem)
        builder.problem("unparseable-number", `"${raw}" is not a number; read as empty.`, at(role), raw, current)
      return value ?? null
    }
    const rowTexts = () =>
      row.cells
        .map((c) => cellText(c))
        .filter((t) => t !== "")
        .join(" | ")

    if (row.cells.every((c) => cellText(c) === "")) continue
    builder.rows.rows++

    const objectColumn = text("object")
    if (objectColumn !== "" && objectColumn !== objectCode) {
      objectCode = objectColumn
      sectionCode = ""
      current = null
      group = null
      builder.object(objectCode, text("objectName"))
    }
    const sectionColumn = text("section")
    if (sectionColumn !== "") {
      sectionCode = sectionColumn
      builder.section(objectCode, sectionCode, text("sectionName"), null)
    }

    const typeRaw = text("type")
    const type = typeRaw.toUpperCase()
    let kind: RowKind = type === "" ? "content" : (types[type] ?? "unknown")
    if (kind === "content") {
      const hasMeasure = text("quantity") !== "" || text("unit") !== "" || text("unitPrice") !== ""
      const label = text("number") || text("description") || text("code")
      if (hasMeasure && dialect === "generic") kind = "work"
      else if (!hasMeasure && text("total") !== "" && label !== "") kind = "summary"
      else if (!hasMeasure && dialect === "generic" && (text("code") !== "" || text("description") !== ""))
        kind = "section"
      else kind = "unknown"
    }

    switch (kind) {
      case "work":
      case "material": {
        const draft = {
          objectCode,
          sectionCode,
          number: text("number"),
          code: text("code"),
          catalog: text("catalog"),
          description: text("description"),
          unit: text("unit"),
          quantity: null,
          unitPrice: null,
          total: null,
          kind,
          location: at()
        } as const
        current = builder.position(draft)
        const quantity = number("quantity", true)
        builder.setAmounts(current, quantity, number("unitPrice", true), number("total", true))
        builder.rows.positions++
        if (draft.unit === "")
          builder.problem("missing-unit", "The position has no unit (MJ).", at("unit"), "", current)
        if (quantity === null && text("quantity") === "")
          builder.problem(
            "missing-quantity",
            "The position has no quantity; 0 is assumed.",
            at("quantity"),
            "",
            current
          )
        if (draft.description === "" && draft.code === "")
          builder.problem(
            "missing-description",
            "The position has neither a code nor a description.",
            at(),
            "",
            current
          )
        const note = text("note")
        if (note !== "") builder.note(current, note)
        break
      }
      case "section": {
        const code = text("code") || text("description")
        sectionCode = code
        current = null
        let parent: string | null = null
        if (type === "D" && nextIsSection(i)) group = code
        else parent = group
        builder.section(objectCode, code, text("description"), parent === code ? null : parent)
        builder.rows.sections++
        break
      }
      case "takeoff": {
        if (current === null) {
          builder.rows.problemRows++
          builder.problem("orphan-row", "A quantity take-off line (VV) with no position above it.", at(), rowTexts())
          break
        }
        const label = text("code")
        const line = text("description")
        builder.takeoff(current, label === "" ? line : `${label}: ${line}`, number("quantity", true))
        builder.rows.takeoff++
        break
      }
      case "note": {
        const body = (text("description") || text("code")).replace(notePrefixes, "").trim()
        if (current === null) {
          builder.rows.problemRows++
          builder.problem("orphan-row", `A ${typeRaw} row with no position above it.`, at(), rowTexts())
          break
        }
        builder.note(current, type === "PSC" || type === "ONLINE PSC" ? `${typeRaw}: ${body}` : body)
        builder.rows.notes++
        break
      }
      case "object": {
        objectCode = text("code") || text("description")
        sectionCode = ""
        current = null
        group = null
        builder.object(objectCode, text("code") === "" ? "" : text("description"))
        builder.rows.objectRows++
        break
      }
      case "summary": {
        declaredTotal ??= number("total", true)
        builder.rows.summaries++
        break
      }
      case "unknown": {
        builder.rows.problemRows++
        builder.problem(
          "unknown-row-type",
          type === ""
            ? "A row without a row type that is neither a position nor a total; it was not imported."
            : `Unknown row type "${typeRaw}"; the row was not imported.`,
          at("type"),
          rowTexts(),
          null,
          "error"
        )
        break
      }
    }
  }
  if (declaredTotal !== null) builder.declaredTotal(source.objectCode, declaredTotal)
  return { declaredTotal }
}
