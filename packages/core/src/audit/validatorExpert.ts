// Built-in validator: the fields every position needs, no negative quantities, no duplicates in a section.

import * as Money from "../budget/Money.ts"
import { unitKey } from "../budget/units.ts"
import type { ExpertOpinion } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"
import { makeRuleExpert } from "./Expert.ts"
import type { Finding } from "./Finding.ts"
import { opinionFromFindings } from "./Finding.ts"

const self = { role: "validator", name: "builtin.validator" } as const

const normalizeText = (text: string): string => text.trim().toLowerCase().replace(/\s+/g, " ")

/**
 * Same object, section, code, unit, description and note: the same item entered twice. The note counts because
 * tenders repeat one item with notes that tell the cases apart ("POPLATKY ZA SKLÁDKU" per kind of waste).
 */
const duplicateKey = (p: Position): string | undefined =>
  p.code.trim() === "" && p.description.trim() === ""
    ? undefined
    : [
        p.objectCode,
        p.sectionCode,
        p.code.trim(),
        unitKey(p.unit),
        normalizeText(p.description),
        normalizeText(p.note)
      ].join("\u001f")

/** Positions sharing a key, by key; positions without a key are left out. */
const groupKeys = (
  positions: ReadonlyArray<Position>,
  keys: ReadonlyArray<string | undefined>
): ReadonlyMap<string, ReadonlyArray<string>> => {
  const groups = new Map<string, Array<string>>()
  positions.forEach((p, i) => {
    const key = keys[i]
    if (key === undefined) return
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [p.positionKey])
    else group.push(p.positionKey)
  })
  return groups
}

const others = (group: ReadonlyArray<string> | undefined, self: string): ReadonlyArray<string> =>
  (group ?? []).filter((k) => k !== self)

const numberKey = (p: Position): string | undefined =>
  p.number.trim() === "" ? undefined : `${p.objectCode}\u001f${p.number.trim()}`

const judge = (
  p: Position,
  keys: { readonly item: string | undefined; readonly number: string | undefined },
  duplicates: ReadonlyMap<string, ReadonlyArray<string>>,
  numbers: ReadonlyMap<string, ReadonlyArray<string>>
): ExpertOpinion => {
  const findings: Array<Finding> = []
  const evidence: Record<string, string> = {}
  const missing = (field: string, verdict: "RED" | "AMBER", confidence: number, suggestion: string) =>
    findings.push({
      verdict,
      confidence,
      type: `missing-${field}`,
      description: `The position has no ${field}.`,
      suggestion
    })
  if (p.description.trim() === "") missing("description", "RED", 90, "Describe the work or material.")
  if (p.unit.trim() === "") missing("unit", "RED", 90, "Give the unit of measure (m, m2, m3, t, ks…).")
  if (p.code.trim() === "") {
    missing("code", "AMBER", 65, "Use a catalogue item, or mark the position as a custom item with its own code.")
  }
  const quantity = Money.parse(p.quantity)
  if (quantity !== undefined && Money.isNegative(quantity)) {
    findings.push({
      verdict: "RED",
      confidence: 90,
      type: "negative-quantity",
      description: `The quantity ${p.quantity} is negative.`,
      suggestion: "Enter a positive quantity; record a deduction inside the quantity take-off instead."
    })
  }
  const sameItem = keys.item === undefined ? [] : others(duplicates.get(keys.item), p.positionKey)
  if (sameItem.length > 0) {
    evidence.duplicates = sameItem.slice(0, 10).join(", ")
    findings.push({
      verdict: "AMBER",
      confidence: 65,
      type: "duplicate-position",
      description: `The same item (code, unit, description, note) appears ${sameItem.length + 1} times in section ${p.sectionCode || "(none)"} of object ${p.objectCode || "(none)"}.`,
      suggestion: "Merge the duplicates into one position, or tell them apart in the description."
    })
  }
  const sameNumber = keys.number === undefined ? [] : others(numbers.get(keys.number), p.positionKey)
  if (sameNumber.length > 0) {
    evidence.sameNumber = sameNumber.slice(0, 10).join(", ")
    findings.push({
      verdict: "AMBER",
      confidence: 60,
      type: "duplicate-number",
      description: `Position number ${p.number} is used ${sameNumber.length + 1} times in object ${p.objectCode || "(none)"}.`,
      suggestion: "Renumber the positions so each number is used once per object."
    })
  }
  return opinionFromFindings(
    p,
    self,
    findings,
    {
      confidence: 90,
      reasoning: "Code, description and unit are present, the quantity is not negative and the item is not repeated."
    },
    evidence
  )
}

/** Judges every position; duplicates are looked for within the batch. */
export const validatorExpert = makeRuleExpert(self.role, self.name, (positions) => {
  const itemKeys = positions.map(duplicateKey)
  const numberKeys = positions.map(numberKey)
  const duplicates = groupKeys(positions, itemKeys)
  const numbers = groupKeys(positions, numberKeys)
  return positions.map((p, i) => judge(p, { item: itemKeys[i], number: numberKeys[i] }, duplicates, numbers))
})
