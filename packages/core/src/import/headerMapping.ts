// Finding and reading the header row of a budget table (XLSX sheet or CSV) by column names, Czech or English,
// and telling the KROS export layout (PČ, Typ, Kód, Popis, MJ, Množství, J.cena, Cena celkem) from other layouts.
import type { Cell, SheetRow } from "./readWorkbook.ts"

export type ColumnRole =
  | "number"
  | "type"
  | "code"
  | "description"
  | "unit"
  | "quantity"
  | "unitPrice"
  | "total"
  | "catalog"
  | "object"
  | "objectName"
  | "section"
  | "sectionName"
  | "note"

export type TableDialect = "kros" | "generic"

export interface HeaderMatch {
  readonly columns: Partial<Record<ColumnRole, number>>
  readonly dialect: TableDialect
  /** From a "[CZK]" in the price headers. */
  readonly currency: string | null
}

/** Lower case, no diacritics, no "[CZK]"/"(Kč)" suffix, letters and digits only: "J.cena [CZK]" → "jcena". */
export const normalizeHeader = (text: string): string =>
  text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/\[[^\]]*\]|\([^)]*\)/g, "")
    .replace(/[^a-z0-9]/g, "")

const synonyms: ReadonlyArray<readonly [ColumnRole, ReadonlyArray<string>]> = [
  ["number", ["pc", "poradovecislo", "porc", "cislo", "c", "cpol", "no", "nr", "number", "itemno", "pos", "position"]],
  ["type", ["typ", "typradku", "typvety", "type", "rowtype", "linetype"]],
  ["code", ["kod", "kodpolozky", "cislopolozky", "code", "itemcode", "catalogcode"]],
  ["description", ["popis", "nazev", "nazevpolozky", "popispolozky", "description", "name", "itemname", "text"]],
  ["unit", ["mj", "mernajednotka", "merjed", "jednotka", "unit", "uom", "units"]],
  ["quantity", ["mnozstvi", "vymera", "mnozstvicelkem", "quantity", "qty"]],
  ["unitPrice", ["jcena", "jednotkovacena", "cenajednotkova", "jedncena", "cenazajednotku", "unitprice", "rate"]],
  ["total", ["cenacelkem", "celkem", "celkovacena", "cenacelkembezdph", "total", "totalprice", "amount"]],
  ["catalog", ["cenovasoustava", "soustava", "katalog", "catalog", "catalogue", "pricesystem"]],
  ["object", ["objekt", "kodobjektu", "so", "object", "objectcode"]],
  ["objectName", ["nazevobjektu", "objectname"]],
  ["section", ["dil", "koddilu", "section", "sectioncode"]],
  ["sectionName", ["nazevdilu", "sectionname"]],
  ["note", ["poznamka", "poznamkapolozky", "note", "notes", "remark", "comment"]]
]

const roleOf = new Map<string, ColumnRole>(synonyms.flatMap(([role, names]) => names.map((n) => [n, role] as const)))

const krosHeader: ReadonlyArray<readonly [ColumnRole, string]> = [
  ["number", "pc"],
  ["type", "typ"],
  ["code", "kod"],
  ["description", "popis"],
  ["unit", "mj"],
  ["quantity", "mnozstvi"],
  ["unitPrice", "jcena"],
  ["total", "cenacelkem"]
]

export const cellText = (cell: Cell | undefined): string => (cell === undefined ? "" : cell.text.trim())

/** Maps one row as a header; undefined when it does not look like the header of a budget table. */
export const matchHeader = (row: SheetRow): HeaderMatch | undefined => {
  const columns: Partial<Record<ColumnRole, number>> = {}
  const names: Partial<Record<ColumnRole, string>> = {}
  let currency: string | null = null
  row.cells.forEach((cell, index) => {
    if (cell === undefined || cell.kind !== "text") return
    const name = normalizeHeader(cell.text)
    const role = roleOf.get(name)
    if (role === undefined || columns[role] !== undefined) return
    columns[role] = index
    names[role] = name
    const m = /\[([A-Z]{3})\]/.exec(cell.text)
    if (m !== null && (role === "unitPrice" || role === "total")) currency ??= m[1]!
  })
  const count = Object.keys(columns).length
  const hasWhat = columns.description !== undefined || columns.code !== undefined
  const hasHowMuch = columns.quantity !== undefined || columns.unitPrice !== undefined || columns.total !== undefined
  if (count < 3 || !hasWhat || !hasHowMuch) return undefined
  const dialect = krosHeader.every(([role, name]) => names[role] === name) ? "kros" : "generic"
  return { columns, dialect, currency }
}

/** The first header row among the first `scan` rows, with its index in `rows`. */
export const findHeader = (
  rows: ReadonlyArray<SheetRow>,
  scan = 400
): { readonly index: number; readonly header: HeaderMatch } | undefined => {
  const n = Math.min(rows.length, scan)
  for (let i = 0; i < n; i++) {
    const header = matchHeader(rows[i]!)
    if (header !== undefined) return { index: i, header }
  }
  return undefined
}

/** The texts of the most header-like row (most text cells among the first rows), for error messages. */
export const likelyHeaders = (rows: ReadonlyArray<SheetRow>, scan = 50): Array<string> => {
  let best: Array<string> = []
  for (const row of rows.slice(0, scan)) {
    const texts = row.cells.filter((c) => c !== undefined && c.kind === "text" && c.text.trim() !== "")
    if (texts.length > best.length) best = texts.map((c) => cellText(c))
  }
  return best
}
