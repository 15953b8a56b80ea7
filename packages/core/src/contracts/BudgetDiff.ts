// The semantic difference between two position lists: what was added, removed, modified, moved, and the cost bridge.
import { Schema } from "effect"
import { DecimalString } from "./Decimal.ts"
import { Position, PositionKind, TakeoffLine } from "./Position.ts"

/** Where a position sits in the budget. */
export const PositionPlace = Schema.Struct({
  objectCode: Schema.String,
  objectName: Schema.String,
  sectionCode: Schema.String,
  number: Schema.String
})
export type PositionPlace = typeof PositionPlace.Type

/** How a before/after pair was recognised as the same position; stages are tried in this order. */
export const MatchStage = Schema.Literals([
  /** same positionKey */
  "key",
  /** same (objectCode, sectionCode, number, code) */
  "place",
  /** same (objectCode, code, normalised description, normalised unit) */
  "content",
  /** same code and unit, description trigram similarity ≥ the documented threshold */
  "fuzzy"
])
export type MatchStage = typeof MatchStage.Type

const textChange = <F extends string>(field: F) =>
  Schema.Struct({ field: Schema.Literal(field), before: Schema.String, after: Schema.String })
const decimalChange = <F extends string>(field: F) =>
  Schema.Struct({ field: Schema.Literal(field), before: DecimalString, after: DecimalString })

/** One field's before and after value, discriminated by `field`. */
export const FieldChange = Schema.Union([
  textChange("objectName"),
  textChange("code"),
  textChange("catalog"),
  textChange("description"),
  textChange("unit"),
  decimalChange("quantity"),
  decimalChange("unitPrice"),
  decimalChange("total"),
  Schema.Struct({
    field: Schema.Literal("takeoff"),
    before: Schema.Array(TakeoffLine),
    after: Schema.Array(TakeoffLine)
  }),
  textChange("note"),
  Schema.Struct({ field: Schema.Literal("kind"), before: PositionKind, after: PositionKind })
])
export type FieldChange = typeof FieldChange.Type
export type DiffField = FieldChange["field"]

const MatchedPair = {
  /** The key in `before`: the position's identity, which changes derived from the diff address. */
  positionKey: Schema.String,
  /** The key in `after`; differs from `positionKey` when matched by place, content or similarity. */
  afterKey: Schema.String,
  matchedBy: MatchStage,
  /** Description similarity (0–1) for fuzzy matches; null otherwise. */
  similarity: Schema.NullOr(Schema.Number)
}

export const ModifiedPosition = Schema.Struct({
  ...MatchedPair,
  /** Place after the change (for display and ordering). */
  place: PositionPlace,
  /** Changed fields in the order of `diffFields`. */
  changes: Schema.Array(FieldChange)
})
export type ModifiedPosition = typeof ModifiedPosition.Type

export const MovedPosition = Schema.Struct({
  ...MatchedPair,
  from: PositionPlace,
  to: PositionPlace
})
export type MovedPosition = typeof MovedPosition.Type

/**
 * total(after) − total(before) split into parts that sum to it exactly. For each matched pair, with q/p/t the
 * quantity, unit price and stated total: quantityEffect = (q₁ − q₀) × p₀, priceEffect = (p₁ − p₀) × q₁,
 * rounding = (t₁ − t₀) − (q₁·p₁ − q₀·p₀) (what rounding, or a stated total that is not q × p, adds).
 * addedScope = Σ t of added positions; removedScope = −Σ t of removed positions (zero or negative).
 */
export const CostBridge = Schema.Struct({
  quantityEffect: DecimalString,
  priceEffect: DecimalString,
  addedScope: DecimalString,
  removedScope: DecimalString,
  rounding: DecimalString,
  total: DecimalString
})
export type CostBridge = typeof CostBridge.Type

/**
 * Entries are sorted by object, section, number (natural order: "2" < "10") and key — of the after place for added,
 * modified and moved, of the before place for removed. A position both moved and modified is in both lists.
 */
export const BudgetDiff = Schema.Struct({
  added: Schema.Array(Position),
  removed: Schema.Array(Position),
  modified: Schema.Array(ModifiedPosition),
  moved: Schema.Array(MovedPosition),
  /** Matched positions with no field change and no move. */
  unchangedCount: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  bridge: CostBridge
})
export type BudgetDiff = typeof BudgetDiff.Type
