// Built-in structural expert: do the quantity take-off lines ("výkaz výměr") add up to the quantity.
import * as Money from "../budget/Money.ts"
import type { ExpertOpinion } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"
import { roundingOf } from "./AuditContext.ts"
import { makeRuleExpert, markBuiltIn } from "./Expert.ts"
import type { Finding } from "./Finding.ts"
import { opinionFromFindings } from "./Finding.ts"
import { fingerprintsOf } from "./positionFingerprint.ts"

const self = { role: "structural", name: "builtin.structural" } as const

// KROS writes a "Součet" (sum) line after the lines it adds up; counting it would double the quantity.
const SUBTOTAL = /^\s*(mezi)?součet\b/iu

// KROS ends the take-off of a quantity with waste or a unit conversion with a line "96,943*1,1845 'Přepočtené
// koeficientem množství": its value is the quantity and the lines above are only its base, so it stands alone.
const CONVERSION = /přepočten\p{L}*\s+koeficientem/iu

/** The lines whose values should add up to the quantity. */
const countedLines = (p: Position): ReadonlyArray<Position["takeoff"][number]> => {
  const conversion = p.takeoff.findLast((l) => l.quantity !== null && CONVERSION.test(l.text))
  return conversion === undefined ? p.takeoff.filter((l) => !SUBTOTAL.test(l.text)) : [conversion]
}

const judge = (p: Position, fingerprint: string, step: Money.Money): ExpertOpinion | undefined => {
  // Most positions have no take-off at all: nothing to judge, nothing to allocate.
  if (p.takeoff.length === 0) return undefined
  const lines = countedLines(p)
  const known: Array<Money.Money> = []
  for (const l of lines) {
    const value = l.quantity === null ? undefined : Money.parse(l.quantity)
    if (value !== undefined) known.push(value)
  }
  const quantity = Money.parse(p.quantity)
  if (known.length === 0 || quantity === undefined) return undefined
  const unknown = lines.length - known.length
  const sum = Money.sum(known)
  // Each line and the quantity itself may each have been rounded to the quantity's step: half a step each.
  const tolerance = Money.multiply(step, Money.make(5n * BigInt(known.length + 1), 1))
  const difference = Money.abs(Money.subtract(sum, quantity))
  const shortest = (m: Money.Money) => Money.formatAtLeast(m)
  const evidence: Record<string, string> = {
    takeoffSum: shortest(sum),
    quantity: p.quantity,
    takeoffLines: String(lines.length),
    linesWithoutValue: String(unknown)
  }
  const findings: Array<Finding> = []
  if (Money.compare(difference, tolerance) > 0) {
    const stated = `The take-off lines add up to ${shortest(sum)}, but the quantity is ${p.quantity} (off by ${shortest(difference)}).`
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
            suggestion: `Set the quantity to ${shortest(sum)}, or correct the take-off lines.`
          }
    )
  }
  return opinionFromFindings(
    p,
    fingerprint,
    self,
    findings,
    { confidence: 90, reasoning: "The quantity take-off lines add up to the quantity within rounding." },
    evidence
  )
}

/** Judges positions that have at least one take-off line with a value. */
export const structuralExpert = markBuiltIn(
  makeRuleExpert(self.role, self.name, (positions, context) => {
    const step = roundingOf(context).quantity
    const out: Array<ExpertOpinion> = []
    const fingerprints = fingerprintsOf(positions)
    for (let i = 0; i < positions.length; i++) {
      const opinion = judge(positions[i]!, fingerprints[i]!, step)
      if (opinion !== undefined) out.push(opinion)
    }
    return out
  })
)
