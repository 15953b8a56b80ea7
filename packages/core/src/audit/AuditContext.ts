// What experts may consult besides the positions: the TSKP classifier, reference prices, usual units, rounding.
// Everything is optional; an expert skips a check whose reference data is absent and says so in its evidence.
import * as Money from "../budget/Money.ts"
import type { DecimalString } from "../contracts/Decimal.ts"
import type { RoundingSettings } from "../contracts/Rounding.ts"
import { defaultRounding } from "../contracts/Rounding.ts"
import type { TskpClassifier } from "./TskpClassifier.ts"

/** Accepted unit-price band for one catalogue code (inclusive), as exact decimal strings. */
export interface ReferencePriceBand {
  readonly low: DecimalString
  readonly high: DecimalString
}

export interface AuditContext {
  /** The TSKP classifier (see loadTskp); without it the standards expert does not judge codes. */
  readonly tskp?: TskpClassifier | undefined
  /** Digits of a code that must match a TSKP class for the code to count as classified (default 2). */
  readonly tskpMinMatchLength?: number | undefined
  /** Reference unit-price bands by exact catalogue code. */
  readonly referencePrices?: ReadonlyMap<string, ReferencePriceBand> | undefined
  /**
   * Usual unit(s) by catalogue code or code prefix; the longest matching prefix applies. Codes it does not cover are
   * compared with the unit most positions with the same code use in the audited batch (see standardsExpert).
   */
  readonly usualUnits?: ReadonlyMap<string, string | ReadonlyArray<string>> | undefined
  /** The budget's rounding steps (default: quantity 0.001, unit price 0.01, total 0.01, half-up). */
  readonly rounding?: RoundingSettings | undefined
}

/** Rounding steps as exact decimals. */
export interface RoundingSteps {
  readonly quantity: Money.Money
  readonly total: Money.Money
}

export const roundingOf = (context: AuditContext): RoundingSteps => {
  const rounding = context.rounding ?? defaultRounding
  // RoundingStep is a validated positive decimal string, so parsing cannot fail.
  return {
    quantity: Money.parseUnsafe(rounding.quantity),
    total: Money.parseUnsafe(rounding.total)
  }
}
