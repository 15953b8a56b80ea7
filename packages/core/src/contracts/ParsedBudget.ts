// The result of importing a budget file: metadata, settings, objects (SO) with totals, positions and row problems.
import { Schema } from "effect"
import { BudgetSettings } from "./BudgetSettings.ts"
import { DecimalString } from "./Decimal.ts"
import { ImportProblem } from "./ImportProblem.ts"
import { Position } from "./Position.ts"

export const BudgetFormat = Schema.Literals(["unixml", "xlsx", "csv"])
export type BudgetFormat = typeof BudgetFormat.Type

/** A section (díl) of an object, e.g. { code: "1", name: "Zemní práce", parentCode: "HSV" }. */
export const BudgetSection = Schema.Struct({
  code: Schema.String,
  name: Schema.String,
  parentCode: Schema.NullOr(Schema.String)
})
export type BudgetSection = typeof BudgetSection.Type

export const BudgetObject = Schema.Struct({
  /** Object code alone, e.g. "SO 1". */
  code: Schema.String,
  name: Schema.String,
  /** Sum of the totals of the object's positions. */
  total: DecimalString,
  /** The total the file itself states for the object (KROS XLSX "Náklady soupisu celkem"), null when it states none. */
  declaredTotal: Schema.NullOr(DecimalString),
  positionCount: Schema.Number,
  sections: Schema.Array(BudgetSection)
})
export type BudgetObject = typeof BudgetObject.Type

/** How every source row was used: rows = positions + sections + takeoff + notes + summaries + objectRows + problemRows. */
export const RowAccounting = Schema.Struct({
  rows: Schema.Number,
  positions: Schema.Number,
  sections: Schema.Number,
  takeoff: Schema.Number,
  notes: Schema.Number,
  summaries: Schema.Number,
  objectRows: Schema.Number,
  /** Rows that became nothing but a problem (unknown row type, take-off line without a position…). */
  problemRows: Schema.Number
})
export type RowAccounting = typeof RowAccounting.Type

export const SheetRole = Schema.Literals(["budget", "recapitulation", "figures", "cover", "empty"])
export type SheetRole = typeof SheetRole.Type

export const BudgetMeta = Schema.Struct({
  format: BudgetFormat,
  fileName: Schema.NullOr(Schema.String),
  /** "kros" for KROS exports (UNIXML and KROS XLSX), "generic" for other table layouts. */
  layout: Schema.Literals(["kros", "generic"]),
  code: Schema.String,
  name: Schema.String,
  /** ISO date (YYYY-MM-DD) when the file states one. */
  date: Schema.NullOr(Schema.String),
  currency: Schema.String,
  /** XLSX only: every sheet of the workbook and what it was taken for. */
  sheets: Schema.Array(Schema.Struct({ name: Schema.String, role: SheetRole })),
  rows: RowAccounting
})
export type BudgetMeta = typeof BudgetMeta.Type

export const ParsedBudget = Schema.Struct({
  meta: BudgetMeta,
  settings: BudgetSettings,
  objects: Schema.Array(BudgetObject),
  positions: Schema.Array(Position),
  problems: Schema.Array(ImportProblem)
})
export type ParsedBudget = typeof ParsedBudget.Type
