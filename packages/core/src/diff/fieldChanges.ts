// Field-by-field comparison of two matched positions, and their places.
import * as Money from "../budget/Money.ts"
import { normalizeUnit } from "../budget/units.ts"
import type { DiffField, FieldChange, PositionPlace } from "../contracts/BudgetDiff.ts"
import type { Position, TakeoffLine } from "../contracts/Position.ts"

/**
 * The fields a diff compares, in report order. Not compared: positionKey (identity), the place (reported as a move),
 * and source, status and confidence (provenance and audit state, not budget content).
 */
export const diffFields: ReadonlyArray<DiffField> = [
  "objectName",
  "code",
  "catalog",
  "description",
  "unit",
  "quantity",
  "unitPrice",
  "total",
  "takeoff",
  "note",
  "kind"
]

/** Decimals compare by value ("12.5" equals "12.500"). */
export const sameDecimal = (a: string, b: string): boolean =>
  a === b || Money.equals(Money.parseUnsafe(a), Money.parseUnsafe(b))

const sameNullableDecimal = (a: string | null, b: string | null): boolean =>
  a === null || b === null ? a === b : sameDecimal(a, b)

const sameTakeoff = (a: ReadonlyArray<TakeoffLine>, b: ReadonlyArray<TakeoffLine>): boolean =>
  a === b ||
  (a.length === b.length &&
    a.every((line, i) => {
      const other = b[i]!
      return line.text === other.text && sameNullableDecimal(line.quantity, other.quantity)
    }))

/** The changed fields, in `diffFields` order. Units compare normalised ("M2" equals "m²"). */
export const fieldChanges = (before: Position, after: Position): Array<FieldChange> => {
  const changes: Array<FieldChange> = []
  if (before === after) return changes
  if (before.objectName !== after.objectName)
    changes.push({ field: "objectName", before: before.objectName, after: after.objectName })
  if (before.code !== after.code) changes.push({ field: "code", before: before.code, after: after.code })
  if (before.catalog !== after.catalog) changes.push({ field: "catalog", before: before.catalog, after: after.catalog })
  if (before.description !== after.description)
    changes.push({ field: "description", before: before.description, after: after.description })
  if (normalizeUnit(before.unit) !== normalizeUnit(after.unit))
    changes.push({ field: "unit", before: before.unit, after: after.unit })
  if (!sameDecimal(before.quantity, after.quantity))
    changes.push({ field: "quantity", before: before.quantity, after: after.quantity })
  if (!sameDecimal(before.unitPrice, after.unitPrice))
    changes.push({ field: "unitPrice", before: before.unitPrice, after: after.unitPrice })
  if (!sameDecimal(before.total, after.total))
    changes.push({ field: "total", before: before.total, after: after.total })
  if (!sameTakeoff(before.takeoff, after.takeoff))
    changes.push({ field: "takeoff", before: before.takeoff, after: after.takeoff })
  if (before.note !== after.note) changes.push({ field: "note", before: before.note, after: after.note })
  if (before.kind !== after.kind) changes.push({ field: "kind", before: before.kind, after: after.kind })
  return changes
}

export const placeOf = (position: Position): PositionPlace => ({
  objectCode: position.objectCode,
  objectName: position.objectName,
  sectionCode: position.sectionCode,
  number: position.number
})

/** A move changes object, section or number; a renamed object alone is a field change, not a move. */
export const isMoved = (before: Position, after: Position): boolean =>
  before.objectCode !== after.objectCode || before.sectionCode !== after.sectionCode || before.number !== after.number
