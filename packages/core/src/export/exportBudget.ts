// The export entry point: a ParsedBudget (or settings + positions) to CSV, KROS-style XLSX or KROS UNIXML 1.2 bytes.
import { Effect } from "effect"
import type { ParsedBudget } from "../contracts/ParsedBudget.ts"
import { exportCsv } from "./exportCsv.ts"
import { exportUnixml } from "./exportUnixml.ts"
import { exportXlsx } from "./exportXlsx.ts"
import { type ExportableBudget, groupBudget } from "./groupBudget.ts"

export type ExportFormat = "csv" | "xlsx" | "unixml"

/**
 * Writes a budget in one of the formats parseBudget reads; parseBudget(exportBudget(b, f)) gives back the same
 * positions. UNIXML carries no totals (they are recomputed from quantity × unit price) and keys descriptions by
 * item code, so positions sharing a code within an object share the first one's description, unit and catalogue.
 */
export const exportBudget = (
  budget: ParsedBudget | ExportableBudget,
  format: ExportFormat
): Effect.Effect<Uint8Array> =>
  Effect.sync(() => {
    const grouped = groupBudget(budget)
    switch (format) {
      case "csv":
        return exportCsv(grouped)
      case "xlsx":
        return exportXlsx(grouped)
      case "unixml":
        return exportUnixml(grouped)
    }
  }).pipe(Effect.withSpan("exportBudget", { attributes: { format } }))
