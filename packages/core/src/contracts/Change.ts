// The edits a change set is made of (a tagged union on `_tag`); `applyChanges` validates and applies them in order.
import { Schema } from "effect"
import { VersionNumber } from "./BudgetVersion.ts"
import { DecimalString } from "./Decimal.ts"
import { Position, PositionKind, TakeoffLine } from "./Position.ts"

const PositionKey = Schema.String

/**
 * The content fields an update may set. Place (object, section, number) changes through `MovePosition`; `total` is
 * always recomputed from quantity × unit price; source, status and confidence belong to provenance and audit.
 */
export const PositionPatch = Schema.Struct({
  objectName: Schema.optionalKey(Schema.String),
  code: Schema.optionalKey(Schema.String),
  catalog: Schema.optionalKey(Schema.String),
  description: Schema.optionalKey(Schema.String),
  unit: Schema.optionalKey(Schema.String),
  quantity: Schema.optionalKey(DecimalString),
  unitPrice: Schema.optionalKey(DecimalString),
  takeoff: Schema.optionalKey(Schema.Array(TakeoffLine)),
  note: Schema.optionalKey(Schema.String),
  kind: Schema.optionalKey(PositionKind)
})
export type PositionPatch = typeof PositionPatch.Type

/** A catalogue item's price, as the server looked it up. */
export const CatalogPrice = Schema.Struct({
  /** The catalogue code of the item; becomes the position's code. */
  code: Schema.String,
  unitPrice: DecimalString,
  /** The catalogue or price list it comes from, e.g. "CS ÚRS 2024 02"; becomes the position's `catalog`. */
  source: Schema.String
})
export type CatalogPrice = typeof CatalogPrice.Type

export const Change = Schema.TaggedUnion({
  /** Adds a position; the caller chooses its `positionKey`. Its total is recomputed. */
  AddPosition: { position: Position },
  /** Sets some content fields of a position. */
  UpdatePosition: { positionKey: PositionKey, patch: PositionPatch },
  RemovePosition: { positionKey: PositionKey },
  /**
   * Moves a position to another section and/or number, possibly in another object. Without `objectName`, a position
   * moved to another object takes the name other positions of that object carry (its own name if there are none).
   */
  MovePosition: {
    positionKey: PositionKey,
    objectCode: Schema.String,
    sectionCode: Schema.String,
    number: Schema.String,
    objectName: Schema.optionalKey(Schema.String)
  },
  /** Sets the unit price, code and catalogue of a position from a catalogue item. */
  SetUnitPriceFromCatalog: { positionKey: PositionKey, item: CatalogPrice },
  /** Replaces all positions with those of an older version (the server loads them; core stays pure). */
  RestoreVersion: { version: VersionNumber, positions: Schema.Array(Position) }
})
export type Change = typeof Change.Type
export type ChangeTag = Change["_tag"]
