// The error a change set fails with: which change, which field, why, and how to fix it. Nothing was applied.
import { Schema } from "effect"

export const ChangeErrorReason = Schema.Literals([
  /** The position key names no position of the budget (at that point of the change set). */
  "unknown_position",
  /** An added or restored position reuses a key the budget already has. */
  "duplicate_key",
  "empty_key",
  /** A quantity or price is not a decimal string with a point. */
  "not_a_number",
  "negative_quantity",
  /** The unit is not one of the accepted Czech budget units (see `acceptedUnits`). */
  "unknown_unit",
  "empty_description"
])
export type ChangeErrorReason = typeof ChangeErrorReason.Type

export class ChangeError extends Schema.TaggedError<ChangeError>()(
  "ChangeError",
  {
    /** Zero-based index of the offending change in the change set. */
    changeIndex: Schema.Int,
    /** `_tag` of the offending change, e.g. "UpdatePosition". */
    changeTag: Schema.String,
    positionKey: Schema.NullOr(Schema.String),
    /** Path of the offending field inside the change, e.g. "patch.quantity" or "positions[3].unit". */
    field: Schema.String,
    reason: ChangeErrorReason,
    /** What is wrong and how to fix it, for people. */
    message: Schema.String
  },
  { httpApiStatus: 422 }
) {}
