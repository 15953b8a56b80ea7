// What every importer step knows about the file it reads (format, name, limits) and how it fails the whole import.
import { ImportError, type ImportErrorReason } from "../contracts/ImportError.ts"
import type { BudgetFormat } from "../contracts/ParsedBudget.ts"
import type { ImportLimits } from "./ImportLimits.ts"

export interface ImportContext {
  readonly format: BudgetFormat | null
  readonly fileName: string | null
  readonly limits: ImportLimits
}

/**
 * The error that rejects the file. Importer internals are plain synchronous functions that throw it; parseBudget is
 * the one place that turns it into the Effect failure channel (anything else thrown there is a defect).
 */
export const importError = (
  ctx: ImportContext,
  reason: ImportErrorReason,
  message: string,
  extra: { readonly where?: string; readonly headersFound?: ReadonlyArray<string> } = {}
): ImportError =>
  new ImportError({
    reason,
    message,
    format: ctx.format,
    fileName: ctx.fileName,
    where: extra.where ?? null,
    headersFound: extra.headersFound ?? []
  })
