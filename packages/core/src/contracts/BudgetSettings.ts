// The settings a budget carries with it: its currency and the rounding steps for quantities, unit prices and totals.
import { Schema } from "effect"
import { defaultRounding, RoundingSettings } from "./Rounding.ts"

/** ISO 4217 code of the budget currency (UNIXML `mena_rozpocet`, the "[CZK]" of KROS XLSX headers). */
export const CurrencyCode = Schema.String.check(
  Schema.isPattern(/^[A-Z]{3}$/, { message: 'expected a three-letter currency code such as "CZK"' })
)
export type CurrencyCode = typeof CurrencyCode.Type

export const BudgetSettings = Schema.Struct({
  rounding: RoundingSettings,
  currency: CurrencyCode
})
export type BudgetSettings = typeof BudgetSettings.Type

/** What a file that states nothing gets: KROS default rounding (0.001 / 0.01 / 0.01, half-up) and CZK. */
export const defaultBudgetSettings: BudgetSettings = BudgetSettings.make({ rounding: defaultRounding, currency: "CZK" })
