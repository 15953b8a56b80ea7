// Built-in cost expert: quantity × unit price against the total, missing or zero prices, and unit prices
// outside the reference band for their code. Exact decimal arithmetic only.
import { BigDecimal, Option } from "effect"
import type { ExpertOpinion } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"
import type { AuditContext, RoundingSteps } from "./AuditContext.ts"
import { roundingOf } from "./AuditContext.ts"
import { makeRuleExpert } from "./Expert.ts"
import {
  absoluteDifference,
  decimalsOf,
  formatDecimal,
  formatFixed,
  halfOf,
  parseDecimal,
  roundToStep
} from "./exactDecimal.ts"
import type { Finding } from "./Finding.ts"
import { opinionFromFindings } from "./Finding.ts"

const self = { role: "cost", name: "builtin.cost" } as const

/**
 * The total may differ from quantity × unit price by what rounding explains: half a total step, plus half a
 * quantity step times the unit price (the quantity may have been rounded after the total was computed).
 */
export const totalTolerance = (unitPrice: BigDecimal.BigDecimal, rounding: RoundingSteps): BigDecimal.BigDecimal =>
  BigDecimal.sum(halfOf(rounding.total), BigDecimal.multiply(halfOf(rounding.quantity), BigDecimal.abs(unitPrice)))

const two = BigDecimal.fromBigInt(2n)

const judge = (position: Position, context: AuditContext): ExpertOpinion => {
  const rounding = roundingOf(context)
  const findings: Array<Finding> = []
  const evidence: Record<string, string> = {
    quantity: position.quantity,
    unitPrice: position.unitPrice,
    total: position.total
  }
  const quantity = parseDecimal(position.quantity)
  const unitPrice = parseDecimal(position.unitPrice)
  const total = parseDecimal(position.total)
  for (const [field, value] of [
    ["quantity", quantity],
    ["total", total]
  ] as const) {
    if (Option.isNone(value)) {
      findings.push({
        verdict: "RED",
        confidence: 90,
        type: "invalid-number",
        description: `The ${field} "${position[field]}" is not a decimal number.`,
        suggestion: `Enter the ${field} as a decimal number, e.g. "12.50".`
      })
    }
  }
  if (Option.isNone(unitPrice)) {
    findings.push({
      verdict: "AMBER",
      confidence: 65,
      type: "missing-price",
      description: "The position has no unit price.",
      suggestion: "Price the item, or remove it if it is not part of the scope."
    })
  } else if (BigDecimal.isZero(unitPrice.value)) {
    findings.push({
      verdict: "AMBER",
      confidence: 65,
      type: "zero-price",
      description: "The unit price is zero.",
      suggestion: "Price the item; a zero price is only right for work done free of charge."
    })
  } else if (BigDecimal.isNegative(unitPrice.value)) {
    findings.push({
      verdict: "AMBER",
      confidence: 60,
      type: "negative-price",
      description: `The unit price ${position.unitPrice} is negative.`,
      suggestion: "Use a positive unit price; record deductions as a negative quantity with a note instead."
    })
  }

  if (Option.isSome(quantity) && Option.isSome(unitPrice) && Option.isSome(total)) {
    const product = BigDecimal.multiply(quantity.value, unitPrice.value)
    const tolerance = totalTolerance(unitPrice.value, rounding)
    const difference = absoluteDifference(product, total.value)
    const expected = formatFixed(roundToStep(product, rounding.total), decimalsOf(rounding.total))
    evidence.expectedTotal = expected
    evidence.roundingTolerance = formatDecimal(tolerance)
    if (BigDecimal.isGreaterThan(difference, tolerance)) {
      findings.push({
        verdict: "RED",
        confidence: 95,
        type: "total-mismatch",
        description: `Quantity × unit price is ${expected}, but the total is ${position.total} (off by ${formatDecimal(difference)}, more than rounding explains).`,
        suggestion: `Set the total to ${expected}, or correct the quantity or the unit price.`
      })
    }
  }

  const band = context.referencePrices?.get(position.code)
  if (band === undefined) evidence.referenceBand = "none"
  else {
    evidence.referenceBand = `${band.low}–${band.high}`
    const low = parseDecimal(band.low)
    const high = parseDecimal(band.high)
    if (Option.isSome(unitPrice) && !BigDecimal.isZero(unitPrice.value) && Option.isSome(low) && Option.isSome(high)) {
      const price = unitPrice.value
      const below = BigDecimal.isLessThan(price, low.value)
      const above = BigDecimal.isGreaterThan(price, high.value)
      // Beyond twice the band's edge (or under half its low edge) the price is more likely wrong than unusual.
      const far =
        BigDecimal.isGreaterThan(price, BigDecimal.multiply(high.value, two)) ||
        BigDecimal.isLessThan(BigDecimal.multiply(price, two), low.value)
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
