// The cost bridge: total(after) − total(before) split exactly into quantity, price, added, removed and rounding parts.
// Definitions (also on the CostBridge schema): per matched pair quantityEffect = Δq × p₀, priceEffect = Δp × q₁ — which
// add up to q₁·p₁ − q₀·p₀ exactly — and rounding = Δt − (q₁·p₁ − q₀·p₀), the rest. All sums are exact decimals.
import * as Money from "../budget/Money.ts"
import type { CostBridge } from "../contracts/BudgetDiff.ts"
import type { DecimalString } from "../contracts/Decimal.ts"
import type { Matching } from "./matchPositions.ts"

// Money.format output always matches the DecimalString pattern.
const asDecimal = (s: string): DecimalString => s as DecimalString

/**
 * Computes the bridge. Each part is printed exactly, with at least `minScale` decimals and at least as many as the
 * totals involved carry (so a 2-decimal budget reads "120.00", while an effect like 0.5 × 0.333 keeps "0.1665").
 */
export const costBridge = (matching: Matching, minScale = 0): CostBridge => {
  let scale = minScale
  let quantityEffect = Money.zero
  let priceEffect = Money.zero
  let rounding = Money.zero
  let addedScope = Money.zero
  let removedScope = Money.zero
  for (const { before, after } of matching.pairs) {
    // Equal strings contribute exactly zero to every part; skip the arithmetic.
    if (before.quantity === after.quantity && before.unitPrice === after.unitPrice && before.total === after.total) {
      continue
    }
    const q0 = Money.parseUnsafe(before.quantity)
    const p0 = Money.parseUnsafe(before.unitPrice)
    const t0 = Money.parseUnsafe(before.total)
    const q1 = Money.parseUnsafe(after.quantity)
    const p1 = Money.parseUnsafe(after.unitPrice)
    const t1 = Money.parseUnsafe(after.total)
    scale = Math.max(scale, t0.scale, t1.scale)
    quantityEffect = Money.add(quantityEffect, Money.multiply(Money.subtract(q1, q0), p0))
    priceEffect = Money.add(priceEffect, Money.multiply(Money.subtract(p1, p0), q1))
    const productDelta = Money.subtract(Money.multiply(q1, p1), Money.multiply(q0, p0))
    rounding = Money.add(rounding, Money.subtract(Money.subtract(t1, t0), productDelta))
  }
  for (const position of matching.added) {
    const t = Money.parseUnsafe(position.total)
    scale = Math.max(scale, t.scale)
    addedScope = Money.add(addedScope, t)
  }
  for (const position of matching.removed) {
    const t = Money.parseUnsafe(position.total)
    scale = Math.max(scale, t.scale)
    removedScope = Money.subtract(removedScope, t)
  }
  const total = Money.sum([quantityEffect, priceEffect, addedScope, removedScope, rounding])
  const print = (m: Money.Money): DecimalString => {
    const exact = Money.normalize(m)
    return asDecimal(Money.format(exact, Math.max(scale, exact.scale)))
  }
  return {
    quantityEffect: print(quantityEffect),
    priceEffect: print(priceEffect),
    addedScope: print(addedScope),
    removedScope: print(removedScope),
    rounding: print(rounding),
    total: print(total)
  }
}
