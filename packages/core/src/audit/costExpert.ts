// Built-in cost expert: quantity × unit price against the total, missing or zero prices, and unit prices
// outside the reference band for their code. Exact decimal arithmetic only.
import * as Money from "../budget/Money.ts"
import type { ExpertOpinion } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"
import type { AuditContext, RoundingSteps } from "./AuditContext.ts"
import { roundingOf } from "./AuditContext.ts"
import { makeRuleExpert } from "./Expert.ts"
import type { Finding } from "./Finding.ts"
import { opinionFromFindings } from "./Finding.ts"

const self = { role: "cost", name: "builtin.cost" } as const

/**
 * The total may differ from quantity × unit price by what rounding explains: half a total step, plus half a
 * quantity step times the unit price (the quantity may have been rounded after the total was computed).
 */
export const totalTolerance = (unitPrice: Money.Money, rounding: RoundingSteps): Money.Money =>
  Money.add(halfOf(rounding.total), Money.multiply(halfOf(rounding.quantity), Money.abs(unitPrice)))

const HALF = Money.make(5n, 1)
const TWO = Money.make(2n, 0)
/** Half of a rounding step: the largest error rounding to that step introduces. */
const halfOf = (step: Money.Money): Money.Money => Money.multiply(step, HALF)
const shortest = (m: Money.Money): string => Money.formatAtLeast(m)

const judge = (position: Position, context: AuditContext): ExpertOpinion => {
  const rounding = roundingOf(context)
  const findings: Array<Finding> = []
  const evidence: Record<string, string> = {
    quantity: position.quantity,
    unitPrice: position.unitPrice,
    total: position.total
  }
  const quantity = Money.parse(position.quantity)
  const unitPrice = Money.parse(position.unitPrice)
  const total = Money.parse(position.total)
  for (const [field, value] of [
    ["quantity", quantity],
    ["total", total]
  ] as const) {
    if (value === undefined) {
      findings.push({
        verdict: "RED",
        confidence: 90,
        type: "invalid-number",
        description: `The ${field} "${position[field]}" is not a decimal number.`,
        suggestion: `Enter the ${field} as a decimal number, e.g. "12.50".`
      })
    }
  }
  if (unitPrice === undefined) {
    findings.push({
      verdict: "AMBER",
      confidence: 65,
      type: "missing-price",
      description: "The position has no unit price.",
      suggestion: "Price the item, or remove it if it is not part of the scope."
    })
  } else if (Money.isZero(unitPrice)) {
    findings.push({
      verdict: "AMBER",
      confidence: 65,
      type: "zero-price",
      description: "The unit price is zero.",
      suggestion: "Price the item; a zero price is only right for work done free of charge."
    })
  } else if (Money.isNegative(unitPrice)) {
    findings.push({
      verdict: "AMBER",
      confidence: 60,
      type: "negative-price",
      description: `The unit price ${position.unitPrice} is negative.`,
      suggestion: "Use a positive unit price; record deductions as a negative quantity with a note instead."
    })
  }

  if (quantity !== undefined && unitPrice !== undefined && total !== undefined) {
    const product = Money.multiply(quantity, unitPrice)
    const tolerance = totalTolerance(unitPrice, rounding)
    const difference = Money.abs(Money.subtract(product, total))
    // Printed with the decimals the total step needs ("0.01" → 2, "0.50" → 1, "10" → 0).
    const expected = Money.formatAtLeast(
      Money.roundToStep(product, rounding.total),
      Money.normalize(rounding.total).scale
    )
    evidence.expectedTotal = expected
    evidence.roundingTolerance = shortest(tolerance)
    if (Money.compare(difference, tolerance) > 0) {
      findings.push({
        verdict: "RED",
        confidence: 95,
        type: "total-mismatch",
        description: `Quantity × unit price is ${expected}, but the total is ${position.total} (off by ${shortest(difference)}, more than rounding explains).`,
        suggestion: `Set the total to ${expected}, or correct the quantity or the unit price.`
      })
    }
  }

  const band = context.referencePrices?.get(position.code)
  if (band === undefined) evidence.referenceBand = "none"
  else {
    evidence.referenceBand = `${band.low}–${band.high}`
    const low = Money.parse(band.low)
    const high = Money.parse(band.high)
    if (unitPrice !== undefined && !Money.isZero(unitPrice) && low !== undefined && high !== undefined) {
      const price = unitPrice
      const below = Money.compare(price, low) < 0
      const above = Money.compare(price, high) > 0
      // Beyond twice the band's edge (or under half its low edge) the price is more likely wrong than unusual.
      const far =
        Money.compare(price, Money.multiply(high, TWO)) > 0 || Money.compare(Money.multiply(price, TWO), low) < 0
      if (below || above) {
        findings.push({
          verdict: far ? "RED" : "AMBER",
          confidence: far ? 80 : 65,
          type: far ? "price-far-outside-reference" : "price-outside-reference",
          description: `The unit price ${position.unitPrice} is ${below ? "below" : "above"} the reference band ${band.low}–${band.high} for code ${position.code}${far ? " by more than a factor of two" : ""}.`,
          suggestion: "Check the unit price against current price lists, or explain the difference in the note."
        })
      }
    }
  }

  return opinionFromFindings(
    position,
    self,
    findings,
    {
      confidence: band === undefined ? 85 : 90,
      reasoning:
        band === undefined
          ? "Quantity × unit price matches the total within rounding; no reference price for this code."
          : "Quantity × unit price matches the total within rounding and the unit price is within the reference band."
    },
    evidence
  )
}

/** Judges every position. */
export const costExpert = makeRuleExpert(self.role, self.name, (positions, context) =>
  positions.map((p) => judge(p, context))
)
