// Built-in structural expert: do the quantity take-off lines ("výkaz výměr") add up to the quantity.
import { BigDecimal, Option } from "effect"
import type { ExpertOpinion } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"
import type { AuditContext } from "./AuditContext.ts"
import { roundingOf } from "./AuditContext.ts"
import { makeRuleExpert } from "./Expert.ts"
import { absoluteDifference, formatDecimal, halfOf, parseDecimal } from "./exactDecimal.ts"
import type { Finding } from "./Finding.ts"
import { opinionFromFindings } from "./Finding.ts"

const self = { role: "structural", name: "builtin.structural" } as const

// KROS writes a "Součet" (sum) line after the lines it adds up; counting it would double the quantity.
const SUBTOTAL = /^\s*(mezi)?součet\b/iu

const judge = (p: Position, context: AuditContext): ExpertOpinion | undefined => {
  const lines = p.takeoff.filter((l) => !SUBTOTAL.test(l.text))
  const known = lines.flatMap((l) => (l.quantity === null ? [] : Option.toArray(parseDecimal(l.quantity))))
  const quantity = parseDecimal(p.quantity)
  if (known.length === 0 || Option.isNone(quantity)) return undefined
  const unknown = lines.length - known.length
  const step = roundingOf(context).quantity
  const sum = BigDecimal.sumAll(known)
  // Each line and the quantity itself may each have been rounded to the quantity's scale.
  const tolerance = BigDecimal.multiply(halfOf(step), BigDecimal.fromBigInt(BigInt(known.length + 1)))
  const difference = absoluteDifference(sum, quantity.value)
  const evidence: Record<string, string> = {
    takeoffSum: formatDecimal(sum),
    quantity: p.quantity,
    takeoffLines: String(lines.length),
    linesWithoutValue: String(unknown)
  }
  const findings: Array<Finding> = []
  if (BigDecimal.isGreaterThan(difference, tolerance)) {
    const stated = `The take-off lines add up to ${formatDecimal(sum)}, but the quantity is ${p.quantity} (off by ${formatDecimal(difference)}).`
    findings.push(
      unknown > 0
        ? {
            verdict: "AMBER",
            confidence: 50,
            type: "takeoff-incomplete",
            description: `${stated} ${unknown} line(s) have no computed value and may explain the gap.`,
            suggestion: "Give every take-off line a value, or correct the quantity."
          }
        : {
            verdict: "RED",
            confidence: 90,
            type: "takeoff-mismatch",
            description: stated,
            suggestion: `Set the quantity to ${formatDecimal(sum)}, or correct the take-off lines.`
          }
    )
  }
  return opinionFromFindings(
    p,
    self,
    findings,
    { confidence: 90, reasoning: "The quantity take-off lines add up to the quantity within rounding." },
    evidence
  )
}

/** Judges positions that have at least one take-off line with a value. */
export const structuralExpert = makeRuleExpert(self.role, self.name, (positions, context) =>
  positions.flatMap((p) => judge(p, context) ?? [])
)
