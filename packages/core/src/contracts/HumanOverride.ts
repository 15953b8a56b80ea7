// A person's decision on a position's status, recorded next to (never instead of) the automatic resolution.
import { Schema } from "effect"
import { Verdict } from "./ExpertOpinion.ts"

/**
 * Overrides are append-only records. The newest one for a position wins while the position still has the
 * fingerprint it had when the override was made; once the position changes the override stops applying.
 */
export const HumanOverride = Schema.Struct({
  positionKey: Schema.String,
  /** Fingerprint of the position the person looked at (see positionFingerprint in src/audit/). */
  positionFingerprint: Schema.String,
  status: Verdict,
  reason: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(2000)),
  /** Who decided: a user id. */
  by: Schema.String.check(Schema.isMinLength(1)),
  /** When, as an ISO-8601 UTC timestamp supplied by the caller (core reads no clock). */
  at: Schema.String
})
export type HumanOverride = typeof HumanOverride.Type
