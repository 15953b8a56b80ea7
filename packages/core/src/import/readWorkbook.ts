// XLSX workbooks to plain rows of cells: sheet names in order, shared strings resolved, cached formula results
// read as values (budgets store totals as formulas). Streams each sheet; counts rows and cells against the limits.
import { decodeUtf8 } from "./decodeText.ts"
import { type ImportContext, importError } from "./ImportContext.ts"
import { childElement, childElements, detachText, readXmlTree, scanXml } from "./readXml.ts"
import { openZip, type ZipArchive } from "./readZip.ts"

export type CellKind = "number" | "text" | "bool" | "error"

export interface Cell {
  readonly kind: CellKind
  /** Number cells: the stored text of the double ("29.100000000000001"); others: the text shown. */
  readonly text: string
  readonly formula: string | null
}

export interface SheetRow {
  /** 1-based row number as Excel shows it. */
  readonly row: number
  /** Indexed by 0-based column (A = 0); holes are empty cells. */
  readonly cells: ReadonlyArray<Cell | undefined>
}

export interface Sheet {
  readonly name: string
  readonly rows: ReadonlyArray<SheetRow>
}

/** "AB12" → 27 (0-based column). */
export const columnIndex = (ref: string): number => {
  let n = 0
  for (let i = 0; i < ref.length; i++) {
    const c = ref.charCodeAt(i)
    if (c < 65 || c > 90) break
    n = n * 26 + (c - 64)
  }
  return n - 1
}

/** 0 → "A", 27 → "AB". */
export const columnName = (index: number): string => {
  let n = index + 1
  let s = ""
  while (n > 0) {
    const r = (n - 1) % 26
    s = String.fromCharCode(65 + r) + s
    n = Math.floor((n - 1) / 26)
  }
  return s
}

/** OOXML escapes control characters as _xHHHH_ (KROS writes line breaks as _x000d_). */
const unescapeOoxml = (s: string): string =>
  s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))

const normalizeText = (s: string): string => unescapeOoxml(s).replace(/\r\n?/g, "\n")

const resolveTarget = (base: string, target: string): string => {
  if (target.startsWith("/")) return target.slice(1)
  const parts = base === "" ? [] : base.split("/")
  for (const segment of target.split("/")) {
    if (segment === "..") parts.pop()
    else if (segment !== "." && segment !== "") parts.push(segment)
  }
  return parts.join("/")
}

const dirOf = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf("/")))

const readPart = (zip: ZipArchive, path: string): string | undefined => {
  const bytes = zip.read(path)
  return bytes === undefined ? undefined : decodeUtf8(bytes)
}

interface Relationship {
  readonly type: string
  readonly target: string
}

const readRelationships = (zip: ZipArchive, path: string, ctx: ImportContext): Map<string, Relationship> => {
  const rels = new Map<string, Relationship>()
  const text = readPart(zip, path)
  if (text === undefined) return rels
  for (const r of readXmlTree(text, ctx, path).children) {
    const id = r.attributes.Id
    if (r.name === "Relationship" && id !== undefined)
      rels.set(id, { type: r.attributes.Type ?? "", target: r.attributes.Target ?? "" })
  }
  return rels
}

const readSharedStrings = (text: string, ctx: ImportContext, where: string): Array<string> => {
  const strings: Array<string> = []
  let current = ""
  let inText = false
  let phonetic = 0
  scanXml(
    text,
    {
      open: (name) => {
        if (name === "si") current = ""
        else if (name === "rPh") phonetic++
        else if (name === "t" && phonetic === 0) inText = true
      },
      close: (name) => {
        if (name === "si") strings.push(detachText(normalizeText(current)))
        else if (name === "rPh") phonetic--
        else if (name === "t") inText = false
      },
      text: (t) => {
        if (inText) current += t
      }
    },
    ctx,
    where
  )
  return strings
}

interface Counters {
  rows: number
  cells: number
}

const readSheet = (
  text: string,
  strings: ReadonlyArray<string>,
  ctx: ImportContext,
  where: string,
  counters: Counters
) => {
  const rows: Array<SheetRow> = []
  let cells: Array<Cell | undefined> = []
  let rowNumber = 0
  let column = -1
  let type = "n"
  let value: string | null = null
  let formula: string | null = null
  let inline: string | null = null
  let capture: "v" | "f" | "t" | null = null
  const tooMany = (what: string, max: number) =>
    importError(ctx, "too-many-rows", `The workbook has more than ${max} ${what}; split it or raise the limit.`, {
      where
    })
  scanXml(
    text,
    {
      open: (name, attributes) => {
        switch (name) {
          case "row": {
            const r = attributes.r
            rowNumber = r === undefined ? rowNumber + 1 : Number(r)
            cells = []
            column = -1
            if (++counters.rows > ctx.limits.maxRows) throw tooMany("rows", ctx.limits.maxRows)
            break
          }
          case "c": {
            const r = attributes.r
            column = r === undefined ? column + 1 : columnIndex(r)
            type = attributes.t ?? "n"
            value = null
            formula = null
            inline = null
            if (++counters.cells > ctx.limits.maxCells) throw tooMany("cells", ctx.limits.maxCells)
            break
          }
          case "v":
            capture = "v"
            value = ""
            break
          case "f":
            capture = "f"
            formula = ""
            break
          case "t":
            capture = "t"
            inline = inline ?? ""
            break
        }
      },
      close: (name) => {
        if (name === "v" || name === "f" || name === "t") capture = null
        else if (name === "c") {
          const cell = toCell(type, value, formula, inline, strings)
          if (cell !== undefined && column >= 0) cells[column] = cell
        } else if (name === "row") {
          if (cells.length > 0) rows.push({ row: rowNumber, cells })
        }
      },
      text: (t) => {
        if (capture === "v") value += t
        else if (capture === "f") formula += t
        else if (capture === "t") inline += t
      }
    },
    ctx,
    where
  )
  return rows
}

const toCell = (
  type: string,
  value: string | null,
  formula: string | null,
  inline: string | null,
  strings: ReadonlyArray<string>
): Cell | undefined => {
  const f = formula === "" ? null : formula
  switch (type) {
    case "s":
      return value === null ? undefined : { kind: "text", text: strings[Number(value)] ?? "", formula: f }
    case "inlineStr":
      return { kind: "text", text: detachText(normalizeText(inline ?? "")), formula: f }
    case "str":
    case "d":
      return { kind: "text", text: detachText(normalizeText(value ?? "")), formula: f }
    case "b":
      return value === null ? undefined : { kind: "bool", text: value === "1" ? "TRUE" : "FALSE", formula: f }
    case "e":
      return { kind: "error", text: value ?? "#VALUE!", formula: f }
    default:
      return value === null || value === "" ? undefined : { kind: "number", text: value.trim(), formula: f }
  }
}

const idAttribute = (attributes: Readonly<Record<string, string>>): string | undefined => {
  for (const [k, v] of Object.entries(attributes)) if (k === "id" || k.endsWith(":id")) return v
  return undefined
}

/** Reads every worksheet of an XLSX file, in workbook order. */
export const readWorkbook = (bytes: Uint8Array, ctx: ImportContext): ReadonlyArray<Sheet> => {
  const zip = openZip(bytes, ctx)
  const rootRels = readRelationships(zip, "_rels/.rels", ctx)
  const main = [...rootRels.values()].find((r) => r.type.endsWith("/officeDocument"))
  const workbookPath = main === undefined ? "xl/workbook.xml" : resolveTarget("", main.target)
  const workbookText = readPart(zip, workbookPath)
  if (workbookText === undefined)
    throw importError(ctx, "malformed", "The file is a zip archive but not an XLSX workbook (no xl/workbook.xml).")
  const base = dirOf(workbookPath)
  const rels = readRelationships(zip, `${base}/_rels/${workbookPath.slice(base.length + 1)}.rels`, ctx)
  const sharedRel = [...rels.values()].find((r) => r.type.endsWith("/sharedStrings"))
  const sharedPath = resolveTarget(base, sharedRel?.target ?? "sharedStrings.xml")
  const sharedText = readPart(zip, sharedPath)
  const strings = sharedText === undefined ? [] : readSharedStrings(sharedText, ctx, sharedPath)
  const workbook = readXmlTree(workbookText, ctx, workbookPath)
  const sheetsElement = childElement(workbook, "sheets")
  const counters: Counters = { rows: 0, cells: 0 }
  const sheets: Array<Sheet> = []
  for (const s of sheetsElement === undefined ? [] : childElements(sheetsElement, "sheet")) {
    const name = s.attributes.name ?? `Sheet${sheets.length + 1}`
    const id = idAttribute(s.attributes)
    const rel = id === undefined ? undefined : rels.get(id)
    // Chart sheets and dialog sheets have no cells.
    if (rel === undefined || !rel.type.endsWith("/worksheet")) continue
    const path = resolveTarget(base, rel.target)
    const text = readPart(zip, path)
    if (text === undefined) throw importError(ctx, "malformed", `The sheet "${name}" is missing from the XLSX file.`)
    sheets.push({ name, rows: readSheet(text, strings, ctx, `sheet "${name}"`, counters) })
  }
  return sheets
}
