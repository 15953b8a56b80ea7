// Built-in standards expert: is the catalogue code a TSKP class, and is the unit the code's usual unit.
// Silent on a position when it has no check to apply (no classifier for its code, no usual unit known).

import { Option } from "effect"
import { unitKey } from "../budget/units.ts"
import type { ExpertOpinion } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"
import type { AuditContext } from "./AuditContext.ts"
import { makeRuleExpert } from "./Expert.ts"
import type { Finding } from "./Finding.ts"
import { opinionFromFindings } from "./Finding.ts"
import { checkTskpCode, defaultTskpMinMatchLength } from "./TskpClassifier.ts"

const self = { role: "standards", name: "builtin.standards" } as const

/** Usual units for a code: the entry of its longest prefix (the whole code first). */
export const usualUnitsFor = (
  code: string,
  usualUnits: ReadonlyMap<string, string | ReadonlyArray<string>>
): ReadonlyArray<string> | undefined => {
  for (let n = code.length; n > 0; n--) {
    const units = usualUnits.get(code.slice(0, n))
    if (units !== undefined) return typeof units === "string" ? [units] : units
  }
  return undefined
}

const judge = (position: Position, context: AuditContext): ExpertOpinion | undefined => {
  const findings: Array<Finding> = []
  const evidence: Record<string, string> = {}
  const code = position.code.trim()
  let cleanConfidence = 80
  const passed: Array<string> = []
  let checked = false

  // TSKP classifies works; material codes belong to the KSM material classifier and are not judged here.
  if (context.tskp !== undefined && code !== "" && position.kind === "work") {
    checked = true
    const minLength = context.tskpMinMatchLength ?? defaultTskpMinMatchLength
    const check = checkTskpCode(context.tskp, code, minLength)
    if (check._tag === "Classified") {
      evidence.tskpClass = `${check.item.id} ${check.item.name}`
      cleanConfidence = check.item.id.length >= 3 ? 85 : 75
      passed.push(`The code belongs to TSKP class ${check.item.id} (${check.item.name}).`)
    } else if (check._tag === "Unclassified") {
      const shallow = Option.match(check.item, { onNone: () => "none", onSome: (i) => `${i.id} ${i.name}` })
      evidence.tskpDeepestMatch = shallow
      findings.push({
        verdict: "AMBER",
        confidence: 65,
        type: "code-not-in-tskp",
        description: `The code ${code} does not start with a TSKP class of at least ${minLength} digits (deepest match: ${shallow}).`,
        suggestion: "Check the code against the price catalogue; use a catalogue item or mark the item as custom."
      })
    } else {
      findings.push({
        verdict: "AMBER",
        confidence: 55,
        type: "code-not-classifiable",
        description: `The code ${code} has no catalogue number, so the item cannot be classified.`,
        suggestion: "Use a catalogue item, or describe the custom item fully so it can be checked by hand."
      })
    }
  }

  const expected = context.usualUnits === undefined || code === "" ? undefined : usualUnitsFor(code, context.usualUnits)
  if (expected !== undefined && position.unit.trim() !== "") {
    checked = true
    evidence.usualUnits = expected.join(", ")
    if (!expected.map(unitKey).includes(unitKey(position.unit))) {
      findings.push({
        verdict: "RED",
        confidence: 85,
        type: "unit-mismatch",
        description: `The unit "${position.unit}" is not the usual unit for code ${code} (${expected.join(", ")}).`,
        suggestion: `Convert the quantity and unit price to ${expected[0]}, or check that the code is the intended item.`
      })
    } else passed.push(`The unit ${position.unit} is usual for this code.`)
  }

  if (!checked) return undefined
  return opinionFromFindings(
    position,
    self,
    findings,
    { confidence: cleanConfidence, reasoning: passed.join(" ") },
    evidence
  )
}

/** Judges positions with a code it can classify or a unit it can compare. */
export const standardsExpert = makeRuleExpert(self.role, self.name, (positions, context) =>
  positions.flatMap((p) => judge(p, context) ?? [])
)
