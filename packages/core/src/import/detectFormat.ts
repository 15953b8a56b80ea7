// Which importer reads a file, from its first bytes: zip magic → XLSX, "<" after an optional BOM and whitespace →
// UNIXML (an XML file that is not <unixml> then fails with a message saying so), anything else → CSV.
import type { BudgetFormat } from "../contracts/ParsedBudget.ts"
import { decodeText } from "./decodeText.ts"
import { isZip } from "./readZip.ts"

export const detectFormat = (bytes: Uint8Array): BudgetFormat => {
  if (isZip(bytes)) return "xlsx"
  const head = decodeText(bytes.subarray(0, 1024)).text.trimStart()
  return head.startsWith("<") ? "unixml" : "csv"
}
