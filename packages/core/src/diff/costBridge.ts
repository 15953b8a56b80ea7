// The cost bridge: total(after) − total(before) split exactly into quantity, price, added, removed and rounding parts.
// Definitions (also on the CostBridge schema): per matched pair quantityEffect = Δq × p₀, priceEffect = Δp × q₁ — which
// add up to q₁·p₁ − q₀·p₀ exactly — and rounding = Δt − (q₁·p₁ − q₀·p₀), the rest. All sums are exact decimals.
import * as Money from "../budget/Money.ts"
import type { CostBridge } from "../contracts/BudgetDiff.ts"
import type { DecimalString } from "../contracts/Decimal.ts"
import type { Position } from "../contracts/Position.ts"
import type { Matching } from "./matchPositions.ts"

// Money.format output always matches the DecimalString pattern.
const asDecimal = (s: string): DecimalString => s as DecimalString

/** The running sums of a bridge; `scale` is the most decimals any total involved was written with. */
export interface BridgeSums {
  scale: number
  quantityEffect: Money.Money
  priceEffect: Money.Money
  rounding: Money.Money
  addedScope: Money.Money
  removedScope: Money.Money
}

export const emptyBridge = (minScale = 0): BridgeSums => ({
  scale: minScale,
  quantityEffect: Money.zero,
  priceEffect: Money.zero,
  rounding: Money.zero,
  addedScope: Money.zero,
  removedScope: Money.zero
})

/** Adds one matched pair. */
export const bridgePair = (sums: BridgeSums, before: Position, after: Position): void => {
  // Equal strings contribute exactly zero to every part; skip the arithmetic.
  if (before.quantity === after.quantity && before.unitPrice === after.unitPrice && before.total === after.total) return
  const q0 = Money.parseUnsafe(before.quantity)
  const p0 = Money.parseUnsafe(before.unitPrice)
  const t0 = Money.parseUnsafe(before.total)
  const q1 = Money.parseUnsafe(after.quantity)
  const p1 = Money.parseUnsafe(after.unitPrice)
  const t1 = Money.parseUnsafe(after.total)
  sums.scale = Math.max(sums.scale, t0.scale, t1.scale)
  sums.quantityEffect = Money.add(sums.quantityEffect, Money.multiply(Money.subtract(q1, q0), p0))
  sums.priceEffect = Money.add(sums.priceEffect, Money.multiply(Money.subtract(p1, p0), q1))
  const productDelta = Money.subtract(Money.multiply(q1, p1), Money.multiply(q0, p0))
  sums.rounding = Money.add(sums.rounding, Money.subtract(Money.subtract(t1, t0), productDelta))
}

/** Adds the added and the removed positions. */
export const bridgeScope = (
  sums: BridgeSums,
  added: ReadonlyArray<Position>,
  removed: ReadonlyArray<Position>
): void => {
  for (const position of added) {
    const t = Money.parseUnsafe(position.total)
    sums.scale = Math.max(sums.scale, t.scale)
    sums.addedScope = Money.add(sums.addedScope, t)
  }
  for (const position of removed) {
    const t = Money.parseUnsafe(position.total)
    sums.scale = Math.max(sums.scale, t.scale)
    sums.removedScope = Money.subtract(sums.removedScope, t)
  }
}

/**
 * Prints the bridge. Each part is printed exactly, with at least the sums' minimum scale and at least as many decimals
 * as the totals involved carry (so a 2-decimal budget reads "120.00", while an effect like 0.5 × 0.333 keeps
 * "0.1665").
 */
export const bridgeResult = (sums: BridgeSums): CostBridge => {
  const { scale, quantityEffect, priceEffect, addedScope, removedScope, rounding } = sums
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

/** Computes the bridge of a matching, printed with at least `minScale` decimals. */
export const costBridge = (matching: Matching, minScale = 0): CostBridge => {
  const sums = emptyBridge(minScale)
  for (const { before, after } of matching.pairs) bridgePair(sums, before, after)
  bridgeScope(sums, matching.added, matching.removed)
  return bridgeResult(sums)
}
