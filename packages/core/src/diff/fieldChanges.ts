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

const sameTakeoff = (a: ReadonlyArray<TakeoffLine>, b: ReadonlyArray<TakeoffLine>): boolean => {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const line = a[i]!
    const other = b[i]!
    if (line.text !== other.text || !sameNullableDecimal(line.quantity, other.quantity)) return false
  }
  return true
}

const NO_CHANGES: ReadonlyArray<FieldChange> = Object.freeze([])

const add = (changes: Array<FieldChange> | undefined, change: FieldChange): Array<FieldChange> => {
  if (changes === undefined) return [change]
  changes.push(change)
  return changes
}

/**
 * The changed fields, in `diffFields` order. Units compare normalised ("M2" equals "m²"). Most matched pairs of two
 * versions are unchanged, so nothing is allocated for them: they get one shared, frozen empty list.
 */
export const fieldChanges = (before: Position, after: Position): ReadonlyArray<FieldChange> => {
  if (before === after) return NO_CHANGES
  let changes: Array<FieldChange> | undefined
  if (before.objectName !== after.objectName)
    changes = add(changes, { field: "objectName", before: before.objectName, after: after.objectName })
  if (before.code !== after.code) changes = add(changes, { field: "code", before: before.code, after: after.code })
  if (before.catalog !== after.catalog)
    changes = add(changes, { field: "catalog", before: before.catalog, after: after.catalog })
  if (before.description !== after.description)
    changes = add(changes, { field: "description", before: before.description, after: after.description })
  if (before.unit !== after.unit && normalizeUnit(before.unit) !== normalizeUnit(after.unit))
    changes = add(changes, { field: "unit", before: before.unit, after: after.unit })
  if (!sameDecimal(before.quantity, after.quantity))
    changes = add(changes, { field: "quantity", before: before.quantity, after: after.quantity })
  if (!sameDecimal(before.unitPrice, after.unitPrice))
    changes = add(changes, { field: "unitPrice", before: before.unitPrice, after: after.unitPrice })
  if (!sameDecimal(before.total, after.total))
    changes = add(changes, { field: "total", before: before.total, after: after.total })
  if (!sameTakeoff(before.takeoff, after.takeoff))
    changes = add(changes, { field: "takeoff", before: before.takeoff, after: after.takeoff })
  if (before.note !== after.note) changes = add(changes, { field: "note", before: before.note, after: after.note })
  if (before.kind !== after.kind) changes = add(changes, { field: "kind", before: before.kind, after: after.kind })
  return changes ?? NO_CHANGES
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
