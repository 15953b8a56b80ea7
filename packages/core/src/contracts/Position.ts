// A budget position (one priced line of a bill of quantities) as it travels between core, server, worker and SDK.
import { Schema } from "effect"
import { DecimalString } from "./Decimal.ts"

export const PositionKind = Schema.Literals(["work", "material"])
export type PositionKind = typeof PositionKind.Type

export const PositionSource = Schema.Literals(["uploaded", "manual", "chat", "generated"])
export type PositionSource = typeof PositionSource.Type

export const PositionStatus = Schema.Literals(["green", "amber", "red", "unaudited"])
export type PositionStatus = typeof PositionStatus.Type

/** One quantity take-off line ("výkaz výměr"): how part of the quantity was measured. */
export const TakeoffLine = Schema.Struct({
  /** The line as written by the estimator, e.g. "2*3,5*0,3". */
  text: Schema.String,
  /** Its computed value when known. */
  quantity: Schema.NullOr(DecimalString)
})
export type TakeoffLine = typeof TakeoffLine.Type

export const Position = Schema.Struct({
  /** Stable identity of the position across versions. */
  positionKey: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)),
  /** Object (SO) code alone, e.g. "SO 1". */
  objectCode: Schema.String,
  objectName: Schema.String,
  /** Section (díl) code, e.g. "1" or "HSV". */
  sectionCode: Schema.String,
  /** Position number within the budget ("PČ"). */
  number: Schema.String,
  /** Catalogue code of the item, e.g. "113107223". */
  code: Schema.String,
  /** Catalogue system the code comes from, e.g. "CS ÚRS 2023 01" or "OTSKP". */
  catalog: Schema.String,
  description: Schema.String,
  unit: Schema.String,
  quantity: DecimalString,
  unitPrice: DecimalString,
  total: DecimalString,
  takeoff: Schema.Array(TakeoffLine),
  note: Schema.String,
  kind: PositionKind,
  source: PositionSource,
  status: PositionStatus,
  /** Confidence 0–100 of the current status; null while unaudited. */
  confidence: Schema.NullOr(Schema.Number)
})
export type Position = typeof Position.Type
