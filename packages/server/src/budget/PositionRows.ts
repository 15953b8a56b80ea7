// Maps positions to and from their revision rows in the positions table.
import type { DecimalString, Position, PositionKind, PositionSource, PositionStatus, TakeoffLine } from "@costline/core"

export interface PositionRow {
  readonly position_key: string
  readonly object_code: string
  readonly object_name: string
  readonly section_code: string
  readonly number: string
  readonly code: string
  readonly catalog: string
  readonly description: string
  readonly unit: string
  readonly quantity: string
  readonly unit_price: string
  readonly total: string
  readonly takeoff: ReadonlyArray<TakeoffLine> | string
  readonly note: string
  readonly kind: PositionKind
  readonly source: PositionSource
  readonly status: PositionStatus
  readonly confidence: number | null
}

/** The columns a new revision row gets besides the project, the version range and the document. */
export const toRow = (position: Position) => ({
  position_key: position.positionKey,
  object_code: position.objectCode,
  object_name: position.objectName,
  section_code: position.sectionCode,
  number: position.number,
  code: position.code,
  catalog: position.catalog,
  description: position.description,
  unit: position.unit,
  quantity: position.quantity,
  unit_price: position.unitPrice,
  total: position.total,
  takeoff: JSON.stringify(position.takeoff),
  note: position.note,
  kind: position.kind,
  source: position.source,
  status: position.status,
  confidence: position.confidence === null ? null : Math.round(position.confidence)
})

export const fromRow = (row: PositionRow): Position => ({
  positionKey: row.position_key,
  objectCode: row.object_code,
  objectName: row.object_name,
  sectionCode: row.section_code,
  number: row.number,
  code: row.code,
  catalog: row.catalog,
  description: row.description,
  unit: row.unit,
  // numeric comes back in the scale it was written with, which is the canonical decimal string.
  quantity: row.quantity as DecimalString,
  unitPrice: row.unit_price as DecimalString,
  total: row.total as DecimalString,
  takeoff: typeof row.takeoff === "string" ? (JSON.parse(row.takeoff) as Array<TakeoffLine>) : row.takeoff,
  note: row.note,
  kind: row.kind,
  source: row.source,
  status: row.status,
  confidence: row.confidence
})

export const POSITION_COLUMNS = `position_key, object_code, object_name, section_code, number, code, catalog,
  description, unit, quantity::text AS quantity, unit_price::text AS unit_price, total::text AS total, takeoff, note,
  kind, source, status, confidence`
