// Built-in standards expert: is the catalogue code a TSKP class, and is the unit the code's usual unit — by the
// caller's table of usual units, or else by the budget itself: the unit most positions with the same code carry.
// Silent on a position when it has no check to apply (no classifier for its code, no usual unit known).

import { Option } from "effect"
import { memoUnitKey, unitKey } from "../budget/units.ts"
import type { ExpertOpinion } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"
import type { AuditContext } from "./AuditContext.ts"
import { makeRuleExpert, markBuiltIn } from "./Expert.ts"
import type { Finding } from "./Finding.ts"
import { opinionFromFindings } from "./Finding.ts"
import { fingerprintsOf } from "./positionFingerprint.ts"
import { checkTskpCode, defaultTskpMinMatchLength, type TskpCodeCheck } from "./TskpClassifier.ts"

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

/** How the positions of one code in the batch are measured. */
export interface BudgetUnits {
  /** The unit (as `unitKey` writes it) more than half of the code's positions with a unit use; none on a tie. */
  readonly majority: string | undefined
  /** Positions per unit, most used first (ties by unit), e.g. [["m2", 5], ["m3", 1]]. */
  readonly counts: ReadonlyArray<readonly [string, number]>
  /** How many of the code's positions have a unit. */
  readonly total: number
}

/**
 * Per catalogue code (trimmed), the units its positions carry in the batch — for the codes whose positions do not
 * all agree. TSKP has no units, so this is what "the code's usual unit" can honestly mean without a table: what the
 * budget itself mostly uses for the same item. Units compare as `unitKey` ("kus" = "ks", "M2" = "m²").
 */
export const budgetUnitsByCode = (
  positions: ReadonlyArray<Position>,
  keyOf: (unit: string) => string = unitKey
): ReadonlyMap<string, BudgetUnits> => {
  const byCode = new Map<string, Map<string, number>>()
  for (const p of positions) {
    const code = p.code.trim()
    const unit = keyOf(p.unit)
    if (code === "" || unit === "") continue
    let units = byCode.get(code)
    if (units === undefined) {
      units = new Map()
      byCode.set(code, units)
    }
    units.set(unit, (units.get(unit) ?? 0) + 1)
  }
  const out = new Map<string, BudgetUnits>()
  for (const [code, units] of byCode) {
    if (units.size < 2) continue
    const counts = [...units].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    const total = counts.reduce((sum, [, n]) => sum + n, 0)
    out.set(code, { majority: counts[0]![1] * 2 > total ? counts[0]![0] : undefined, counts, total })
  }
  return out
}

/** What one run looks up once per distinct code or unit rather than once per position. */
interface Run {
  readonly context: AuditContext
  readonly minLength: number
  /** `unitKey`, remembered per written unit. */
  readonly unitKey: (unit: string) => string
  readonly tskp: Map<string, TskpVerdict>
  readonly usual: Map<string, ReadonlyArray<string> | undefined>
  readonly budgetUnits: ReadonlyMap<string, BudgetUnits>
}

/** What the TSKP check says about one code: the same for every position with that code, so computed once. */
interface TskpVerdict {
  readonly findings: ReadonlyArray<Finding>
  readonly evidence: Readonly<Record<string, string>>
  readonly passed: string | undefined
  readonly cleanConfidence: number
}

const tskpVerdict = (check: TskpCodeCheck, code: string, minLength: number): TskpVerdict => {
  if (check._tag === "Classified")
    return {
      findings: [],
      evidence: { tskpClass: `${check.item.id} ${check.item.name}` },
      passed: `The code belongs to TSKP class ${check.item.id} (${check.item.name}).`,
      cleanConfidence: check.item.id.length >= 3 ? 85 : 75
    }
  if (check._tag === "Unclassified") {
    const shallow = Option.match(check.item, { onNone: () => "none", onSome: (i) => `${i.id} ${i.name}` })
    return {
      findings: [
        {
          verdict: "AMBER",
          confidence: 65,
          type: "code-not-in-tskp",
          description: `The code ${code} does not start with a TSKP class of at least ${minLength} digits (deepest match: ${shallow}).`,
          suggestion: "Check the code against the price catalogue; use a catalogue item or mark the item as custom."
        }
      ],
      evidence: { tskpDeepestMatch: shallow },
      passed: undefined,
      cleanConfidence: 80
    }
  }
  return {
    findings: [
      {
        verdict: "AMBER",
        confidence: 55,
        type: "code-not-classifiable",
        description: `The code ${code} has no catalogue number, so the item cannot be classified.`,
        suggestion: "Use a catalogue item, or describe the custom item fully so it can be checked by hand."
      }
    ],
    evidence: {},
    passed: undefined,
    cleanConfidence: 80
  }
}

const NO_TSKP: TskpVerdict = { findings: [], evidence: {}, passed: undefined, cleanConfidence: 80 }

const judge = (position: Position, fingerprint: string, run: Run): ExpertOpinion | undefined => {
  const { context } = run
  const code = position.code.trim()
  let checked = false

  // TSKP classifies works; material codes belong to the KSM material classifier and are not judged here.
  let tskp = NO_TSKP
  if (context.tskp !== undefined && code !== "" && position.kind === "work") {
    checked = true
    let verdict = run.tskp.get(code)
    if (verdict === undefined) {
      verdict = tskpVerdict(checkTskpCode(context.tskp, code, run.minLength), code, run.minLength)
      run.tskp.set(code, verdict)
    }
    tskp = verdict
  }
  // The unit checks below add to these; while they add nothing, the code's shared values serve (never mutated).
  let findings = tskp.findings
  let evidence = tskp.evidence
  let passed = tskp.passed
  const cleanConfidence = tskp.cleanConfidence

  let expected: ReadonlyArray<string> | undefined
  if (context.usualUnits !== undefined && code !== "") {
    if (run.usual.has(code)) expected = run.usual.get(code)
    else {
      expected = usualUnitsFor(code, context.usualUnits)
      run.usual.set(code, expected)
    }
  }
  if (expected !== undefined && position.unit.trim() !== "") {
    checked = true
    evidence = { ...evidence, usualUnits: expected.join(", ") }
    const unit = run.unitKey(position.unit)
    if (!expected.some((u) => run.unitKey(u) === unit)) {
      findings = [
        ...findings,
        {
          verdict: "RED",
          confidence: 85,
          type: "unit-mismatch",
          description: `The unit "${position.unit}" is not the usual unit for code ${code} (${expected.join(", ")}).`,
          suggestion: `Convert the quantity and unit price to ${expected[0]}, or check that the code is the intended item.`
        }
      ]
    } else {
      const usual = `The unit ${position.unit} is usual for this code.`
      passed = passed === undefined ? usual : `${passed} ${usual}`
    }
  } else if (code !== "" && position.unit.trim() !== "") {
    // Without a table entry for the code, the budget's own majority unit for it stands in.
    const budget = run.budgetUnits.get(code)
    const unit = run.unitKey(position.unit)
    if (budget?.majority !== undefined && budget.majority !== unit) {
      checked = true
      const used = budget.counts.find(([u]) => u === budget.majority)![1]
      evidence = { ...evidence, budgetUnits: budget.counts.map(([u, n]) => `${u} ×${n}`).join(", ") }
      findings = [
        ...findings,
        {
          verdict: "AMBER",
          confidence: 60,
          type: "unit-differs-in-budget",
          description: `The unit "${position.unit}" differs from ${budget.majority}, the unit ${used} of the ${budget.total} positions with code ${code} in this budget use.`,
          suggestion: `Check the unit: if this is the same item, convert the quantity and unit price to ${budget.majority}.`
        }
      ]
    }
  }

  if (!checked) return undefined
  return opinionFromFindings(
    position,
    fingerprint,
    self,
    findings,
    { confidence: cleanConfidence, reasoning: passed ?? "" },
    evidence
  )
}

/**
 * Judges positions with a code it can classify or a unit it can compare: against the caller's usual units where
 * they cover the code, otherwise against the unit most of the batch's positions with that code use (a position in
 * the minority is AMBER; a code split evenly between units says nothing).
 */
export const standardsExpert = markBuiltIn(
  makeRuleExpert(self.role, self.name, (positions, context) => {
    const cachedUnitKey = memoUnitKey()
    const run: Run = {
      context,
      minLength: context.tskpMinMatchLength ?? defaultTskpMinMatchLength,
      unitKey: cachedUnitKey,
      tskp: new Map(),
      usual: new Map(),
      budgetUnits: budgetUnitsByCode(positions, cachedUnitKey)
    }
    const out: Array<ExpertOpinion> = []
    const fingerprints = fingerprintsOf(positions)
    for (let i = 0; i < positions.length; i++) {
      const opinion = judge(positions[i]!, fingerprints[i]!, run)
      if (opinion !== undefined) out.push(opinion)
    }
    return out
  })
)
