// Prices a position by the budget's rounding settings: quantity and unit price rounded to their steps, then
// total = round(quantity × unit price) to the total step, all half-up and exact.
import type { DecimalString } from "../contracts/Decimal.ts"
import type { Position } from "../contracts/Position.ts"
import type { RoundingSettings } from "../contracts/Rounding.ts"
import * as Money from "./Money.ts"

export interface Pricer {
  readonly rounding: RoundingSettings
  readonly quantity: (quantity: Money.Money) => Money.Money
  readonly unitPrice: (unitPrice: Money.Money) => Money.Money
  /** round_total(round_quantity(q) × round_unitPrice(p)). */
  readonly total: (quantity: Money.Money, unitPrice: Money.Money) => Money.Money
  /** The position with quantity and unit price rounded to their steps and its total recomputed. */
  readonly reprice: (position: Position) => Position
}

// A decimal string produced by `Money.format` always matches the DecimalString pattern (digits, optional point).
const asDecimal = (s: string): DecimalString => s as DecimalString

export const makePricer = (rounding: RoundingSettings): Pricer => {
  const quantityStep = Money.parseUnsafe(rounding.quantity)
  const unitPriceStep = Money.parseUnsafe(rounding.unitPrice)
  const totalStep = Money.parseUnsafe(rounding.total)
  const quantity = (q: Money.Money) => Money.roundToStep(q, quantityStep)
  const unitPrice = (p: Money.Money) => Money.roundToStep(p, unitPriceStep)
  const total = (q: Money.Money, p: Money.Money) =>
    Money.roundToStep(Money.multiply(quantity(q), unitPrice(p)), totalStep)
  const reprice = (position: Position): Position => {
    const q = quantity(Money.parseUnsafe(position.quantity))
    const p = unitPrice(Money.parseUnsafe(position.unitPrice))
    return {
      ...position,
      quantity: asDecimal(Money.format(q)),
      unitPrice: asDecimal(Money.format(p)),
      total: asDecimal(Money.format(Money.roundToStep(Money.multiply(q, p), totalStep)))
    }
  }
  return { rounding, quantity, unitPrice, total, reprice }
}

/** round(quantity × unitPrice) by `rounding`, as a decimal string with the total step's decimals. */
export const computeTotal = (quantity: string, unitPrice: string, rounding: RoundingSettings): DecimalString => {
  const pricer = makePricer(rounding)
  return asDecimal(Money.format(pricer.total(Money.parseUnsafe(quantity), Money.parseUnsafe(unitPrice))))
}
