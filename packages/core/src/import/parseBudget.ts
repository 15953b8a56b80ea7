// The import entry point: checks the size, picks the format (given or detected) and runs its importer, turning the
// importers' ImportError into the Effect failure channel.
import { Effect } from "effect"
import { ImportError } from "../contracts/ImportError.ts"
import type { BudgetFormat, ParsedBudget } from "../contracts/ParsedBudget.ts"
import { decodeText } from "./decodeText.ts"
import { detectFormat } from "./detectFormat.ts"
import { type ImportContext, importError } from "./ImportContext.ts"
import { type ImportLimits, resolveImportLimits } from "./ImportLimits.ts"
import { parseCsv } from "./parseCsv.ts"
import { parseUnixml } from "./parseUnixml.ts"
import { parseXlsx } from "./parseXlsx.ts"

export interface ParseBudgetOptions {
  /** Skips detection from the content. */
  readonly format?: BudgetFormat
  /** Only used in metadata and messages. */
  readonly fileName?: string
  /** Overrides of defaultImportLimits. */
  readonly limits?: Partial<ImportLimits>
}

const parseSync = (bytes: Uint8Array, options: ParseBudgetOptions): ParsedBudget => {
  const limits = resolveImportLimits(options.limits)
  const base: ImportContext = { format: options.format ?? null, fileName: options.fileName ?? null, limits }
  if (bytes.length > limits.maxBytes)
    throw importError(
      base,
      "too-large",
      `The file is ${bytes.length} bytes; files up to ${limits.maxBytes} bytes are accepted. Split the budget.`
    )
  if (bytes.length === 0) throw importError(base, "empty", "The file is empty.")
  const format = options.format ?? detectFormat(bytes)
  const ctx: ImportContext = { ...base, format }
  switch (format) {
    case "xlsx":
      return parseXlsx(bytes, ctx)
    case "unixml":
      return parseUnixml(decodeText(bytes).text, ctx)
    case "csv":
      return parseCsv(bytes, ctx)
  }
}

/**
 * Parses a budget file (KROS UNIXML 1.2, KROS or other XLSX, CSV) into positions, objects, settings and per-row
 * problems. Fails with ImportError when the whole file must be rejected (too large, zip bomb, unsafe or too deep
 * XML, unmappable sheet, not a budget).
 */
export const parseBudget = Effect.fn("parseBudget")(function* (
  bytes: Uint8Array,
  options: ParseBudgetOptions = {}
): Effect.fn.Return<ParsedBudget, ImportError> {
  return yield* Effect.try({ try: () => parseSync(bytes, options), catch: (cause) => cause }).pipe(
    // Only ImportError is an expected failure; anything else thrown by an importer is a bug and stays a defect.
    Effect.catch((cause) => (cause instanceof ImportError ? Effect.fail(cause) : Effect.die(cause)))
  )
})
