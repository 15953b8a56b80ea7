// Builds small XLSX workbooks for tests: sheets given as rows of values, or as raw worksheet XML.
import { zipSync } from "fflate"

export type FixtureValue = string | number | null

export interface FixtureSheet {
  readonly name: string
  readonly rows?: ReadonlyArray<ReadonlyArray<FixtureValue>>
  /** Replaces the generated worksheet XML. */
  readonly xml?: string
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
const col = (i: number): string => (i < 26 ? String.fromCharCode(65 + i) : `A${String.fromCharCode(65 + i - 26)}`)

export const sheetXml = (rows: ReadonlyArray<ReadonlyArray<FixtureValue>>): string =>
  `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows
    .map(
      (row, r) =>
        `<row r="${r + 1}">${row
          .map((v, c) => {
            const ref = `${col(c)}${r + 1}`
            if (v === null) return ""
            if (typeof v === "number") return `<c r="${ref}"><v>${v}</v></c>`
            return `<c r="${ref}" t="inlineStr"><is><t>${esc(v)}</t></is></c>`
          })
          .join("")}</row>`
    )
    .join("")}</sheetData></worksheet>`

/** The parts of a minimal workbook; tests may replace or add parts before zipping. */
export const workbookParts = (sheets: ReadonlyArray<FixtureSheet>): Record<string, Uint8Array> => {
  const ns = "http://schemas.openxmlformats.org"
  const parts: Record<string, Uint8Array> = {
    "[Content_Types].xml": enc(`<?xml version="1.0"?><Types xmlns="${ns}/package/2006/content-types"/>`),
    "_rels/.rels": enc(
      `<?xml version="1.0"?><Relationships xmlns="${ns}/package/2006/relationships"><Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
    ),
    "xl/workbook.xml": enc(
      `<?xml version="1.0"?><workbook xmlns="${ns}/spreadsheetml/2006/main" xmlns:r="${ns}/officeDocument/2006/relationships"><sheets>${sheets
        .map((s, i) => `<sheet name="${esc(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
        .join("")}</sheets></workbook>`
    ),
    "xl/_rels/workbook.xml.rels": enc(
      `<?xml version="1.0"?><Relationships xmlns="${ns}/package/2006/relationships">${sheets
        .map(
          (_, i) =>
            `<Relationship Id="rId${i + 1}" Type="${ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`
        )
        .join("")}</Relationships>`
    )
  }
  sheets.forEach((s, i) => {
    parts[`xl/worksheets/sheet${i + 1}.xml`] = enc(s.xml ?? sheetXml(s.rows ?? []))
  })
  return parts
}

export const buildXlsx = (sheets: ReadonlyArray<FixtureSheet>): Uint8Array => zipSync(workbookParts(sheets))
