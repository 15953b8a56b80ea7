// Built-in cost expert: quantity × unit price against the total, missing or zero prices, and unit prices
// outside the reference band for their code. Exact decimal arithmetic only.
import * as Money from "../budget/Money.ts"
import type { ExpertOpinion } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"
import type { AuditContext, ReferencePriceBand, RoundingSteps } from "./AuditContext.ts"
import { roundingOf } from "./AuditContext.ts"
import { makeRuleExpert, markBuiltIn } from "./Expert.ts"
import type { Finding } from "./Finding.ts"
import { opinionFromFindings } from "./Finding.ts"
import { fingerprintsOf } from "./positionFingerprint.ts"
import { checkTotal } from "./totalCheck.ts"

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

/** What one run needs for every position, prepared once: the rounding steps and the parsed reference bands. */
interface Prepared {
  readonly context: AuditContext
  readonly rounding: RoundingSteps
  readonly totalScale: number
  readonly bands: Map<
    ReferencePriceBand,
    { readonly low: Money.Money | undefined; readonly high: Money.Money | undefined; readonly text: string }
  >
  /** The rounding tolerance per written unit price. */
  readonly tolerances: Map<string, { readonly value: Money.Money; readonly text: string }>
}

const prepare = (context: AuditContext): Prepared => {
  const rounding = roundingOf(context)
  return {
    context,
    rounding,
    totalScale: Money.normalize(rounding.total).scale,
    bands: new Map(),
    tolerances: new Map()
  }
}

const invalidNumber = (field: "quantity" | "total", text: string): Finding => ({
  verdict: "RED",
  confidence: 90,
  type: "invalid-number",
  description: `The ${field} "${text}" is not a decimal number.`,
  suggestion: `Enter the ${field} as a decimal number, e.g. "12.50".`
})

const judge = (position: Position, fingerprint: string, run: Prepared): ExpertOpinion => {
  const { context } = run
  const findings: Array<Finding> = []
  const evidence: Record<string, string> = {
    quantity: position.quantity,
    unitPrice: position.unitPrice,
    total: position.total
  }
  const quantity = Money.parse(position.quantity)
  const unitPrice = Money.parse(position.unitPrice)
  const total = Money.parse(position.total)
  if (quantity === undefined) findings.push(invalidNumber("quantity", position.quantity))
  if (total === undefined) findings.push(invalidNumber("total", position.total))
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
    // The tolerance depends on the unit price alone, which positions share, so it is worked out once per written
    // price in a run.
    let tolerance = run.tolerances.get(position.unitPrice)
    if (tolerance === undefined) {
      const value = totalTolerance(unitPrice, run.rounding)
      tolerance = { value, text: shortest(value) }
      run.tolerances.set(position.unitPrice, tolerance)
    }
    // Printed with the decimals the total step needs ("0.01" → 2, "0.50" → 1, "10" → 0).
    const { expected, exceeds } = checkTotal(
      quantity,
      unitPrice,
      total,
      run.rounding.total,
      run.totalScale,
      tolerance.value
    )
    evidence.expectedTotal = expected
    evidence.roundingTolerance = tolerance.text
    if (exceeds) {
      const difference = Money.abs(Money.subtract(Money.multiply(quantity, unitPrice), total))
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
    let parsed = run.bands.get(band)
    if (parsed === undefined) {
      parsed = { low: Money.parse(band.low), high: Money.parse(band.high), text: `${band.low}–${band.high}` }
      run.bands.set(band, parsed)
    }
    evidence.referenceBand = parsed.text
    const { low, high } = parsed
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
    fingerprint,
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
export const costExpert = markBuiltIn(
  makeRuleExpert(self.role, self.name, (positions, context) => {
    const run = prepare(context)
    const fingerprints = fingerprintsOf(positions)
    return positions.map((p, i) => judge(p, fingerprints[i]!, run))
  })
)
