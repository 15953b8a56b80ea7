// Budget versions: the head a change set applies to, and the record of each version (who, when, why, totals, delta).
import { Schema } from "effect"
import { BudgetSettings } from "./BudgetSettings.ts"
import { DecimalString } from "./Decimal.ts"
import { UserId } from "./Ids.ts"
import { Position } from "./Position.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** A version number; 0 is the empty budget before the initial version. */
export const VersionNumber = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
export type VersionNumber = typeof VersionNumber.Type

export const TriggerType = Schema.Literals([
  "initial",
  "document_added",
  "user_edit",
  "chat_modification",
  "recalculation",
  "restore"
])
export type TriggerType = typeof TriggerType.Type

/** The live state `applyChanges` works on. Position order is the document order; it carries no meaning for totals. */
export const BudgetHead = Schema.Struct({
  version: VersionNumber,
  settings: BudgetSettings,
  positions: Schema.Array(Position)
})
export type BudgetHead = typeof BudgetHead.Type

export const ObjectSummary = Schema.Struct({
  objectCode: Schema.String,
  objectName: Schema.String,
  positionCount: Count,
  total: DecimalString
})
export type ObjectSummary = typeof ObjectSummary.Type

export const SectionSummary = Schema.Struct({
  objectCode: Schema.String,
  sectionCode: Schema.String,
  positionCount: Count,
  total: DecimalString
})
export type SectionSummary = typeof SectionSummary.Type

/** Exact sums of position totals, overall, per object and per (object, section), in natural code order. */
export const BudgetTotals = Schema.Struct({
  total: DecimalString,
  positionCount: Count,
  objects: Schema.Array(ObjectSummary),
  sections: Schema.Array(SectionSummary)
})
export type BudgetTotals = typeof BudgetTotals.Type

/** How many positions a version added, removed, modified (fields), moved (place) and left alone. */
export const ChangeSummary = Schema.Struct({
  added: Count,
  removed: Count,
  modified: Count,
  moved: Count,
  unchanged: Count
})
export type ChangeSummary = typeof ChangeSummary.Type

export const BudgetVersion = Schema.Struct({
  version: VersionNumber,
  /** The version this one was made from; null for the initial version. */
  parent: Schema.NullOr(VersionNumber),
  trigger: TriggerType,
  /** Who caused it; null for system work (e.g. a scheduled recalculation). */
  createdBy: Schema.NullOr(UserId),
  /** ISO 8601 timestamp. */
  createdAt: Schema.String,
  settings: BudgetSettings,
  totals: BudgetTotals,
  changeSummary: ChangeSummary,
  /** total(this version) − total(parent), exact. */
  deltaCost: DecimalString
})
export type BudgetVersion = typeof BudgetVersion.Type
