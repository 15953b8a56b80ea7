// A budget's rounding settings (KROS UNIXML nastaveni/zaokrouhleni_rozpocet, or the precision of XLSX total formulas).
import { Schema } from "effect"
import { DecimalString } from "./Decimal.ts"

/** A positive rounding step such as "0.001", "0.01", "0.5", "1" or "10". */
export const RoundingStep = DecimalString.check(
  Schema.isPattern(/^(?=.*[1-9])\d+(\.\d+)?$/, {
    message: 'expected a positive rounding step such as "0.01", "0.001", "0.5" or "1"'
  })
)
export type RoundingStep = typeof RoundingStep.Type

/** "half-up": a value exactly halfway between two steps goes away from zero (KROS "MATEMATICKY", Excel ROUND). */
export const RoundingMode = Schema.Literals(["half-up"])
export type RoundingMode = typeof RoundingMode.Type

export const RoundingSettings = Schema.Struct({
  /** Step for quantities (UNIXML `mnozstvi`), default "0.001". */
  quantity: RoundingStep,
  /** Step for unit prices (UNIXML `jednotkova_cena`), default "0.01". */
  unitPrice: RoundingStep,
  /** Step for position totals (UNIXML `celkova_cena`), default "0.01". */
  total: RoundingStep,
  mode: RoundingMode
})
export type RoundingSettings = typeof RoundingSettings.Type

/** The defaults when a document says nothing: quantity 0.001, unit price 0.01, total 0.01, half-up. */
export const defaultRounding: RoundingSettings = RoundingSettings.make({
  quantity: RoundingStep.make("0.001"),
  unitPrice: RoundingStep.make("0.01"),
  total: RoundingStep.make("0.01"),
  mode: "half-up"
})
