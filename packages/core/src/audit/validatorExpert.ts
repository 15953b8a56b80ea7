// Built-in validator: the fields every position needs, no negative quantities, no duplicates in a section.

import * as Money from "../budget/Money.ts"
import { memoUnitKey } from "../budget/units.ts"
import type { ExpertOpinion } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"
import { makeRuleExpert, markBuiltIn } from "./Expert.ts"
import type { Finding } from "./Finding.ts"
import { opinionFromFindings } from "./Finding.ts"
import { fingerprintsOf } from "./positionFingerprint.ts"

const self = { role: "validator", name: "builtin.validator" } as const

const normalizeText = (text: string): string => text.trim().toLowerCase().replace(/\s+/g, " ")

const SEP = "\u001f"

/**
 * Same object, section, code, unit, description and note: the same item entered twice. The note counts because
 * tenders repeat one item with notes that tell the cases apart ("POPLATKY ZA SKLÁDKU" per kind of waste).
 */
const duplicateKey = (p: Position, unit: string): string | undefined =>
  p.code.trim() === "" && p.description.trim() === ""
    ? undefined
    : [p.objectCode, p.sectionCode, p.code.trim(), unit, normalizeText(p.description), normalizeText(p.note)].join(SEP)

/** FNV-1a over UTF-16 code units, continuing from `h`. */
const hashText = (h: number, text: string): number => {
  let x = h
  for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), 16777619)
  return x
}

/** Positions by key; a key seen once holds its index, only a repeated key gets a list (the rare case). */
type Groups<K> = Map<K, number | Array<number>>

const addTo = <K>(groups: Groups<K>, key: K, index: number): void => {
  const group = groups.get(key)
  if (group === undefined) groups.set(key, index)
  else if (typeof group === "number") groups.set(key, [group, index])
  else group.push(index)
}

/** Gives every member of each repeated group the list of the group's position keys. */
const assignGroups = <K>(
  positions: ReadonlyArray<Position>,
  groups: Groups<K>,
  result: Array<ReadonlyArray<string> | undefined>
): void => {
  for (const group of groups.values()) {
    if (typeof group === "number") continue
    const keys = group.map((i) => positions[i]!.positionKey)
    for (const i of group) result[i] = keys
  }
}

/**
 * For each position, the keys of the positions with its duplicate key (itself included), in batch order; undefined
 * when it has none to share. Two passes so that the costly part of the key (normalised description and note) is only
 * built for positions that already share object, section, code and unit with another — a few in a real budget.
 * When a field holds the separator itself, split keys could differ from joined ones, so every key is built whole.
 */
const duplicateGroups = (positions: ReadonlyArray<Position>): Array<ReadonlyArray<string> | undefined> => {
  const unitOf = memoUnitKey()
  const whole = positions.some(
    (p) =>
      p.objectCode.includes(SEP) ||
      p.sectionCode.includes(SEP) ||
      p.code.includes(SEP) ||
      p.unit.includes(SEP) ||
      p.description.includes(SEP) ||
      p.note.includes(SEP)
  )
  const candidates: Array<ReadonlyArray<number>> = []
  if (whole) candidates.push(positions.map((_, i) => i))
  else {
    // Bucketed by a hash of object, section, code and unit: a collision only adds candidates, which the whole key
    // then tells apart; no key string is built for the positions that share nothing.
    const coarse: Groups<number> = new Map()
    positions.forEach((p, i) => {
      const code = p.code.trim()
      if (code === "" && p.description.trim() === "") return
      let h = hashText(0x811c9dc5, p.objectCode)
      h = hashText(Math.imul(h ^ 0x1f, 16777619), p.sectionCode)
      h = hashText(Math.imul(h ^ 0x1f, 16777619), code)
      h = hashText(Math.imul(h ^ 0x1f, 16777619), unitOf(p.unit))
      addTo(coarse, h & 0x3fffffff, i)
    })
    for (const members of coarse.values()) if (typeof members !== "number") candidates.push(members)
  }
  const result = new Array<ReadonlyArray<string> | undefined>(positions.length)
  for (const members of candidates) {
    const fine: Groups<string> = new Map()
    for (const i of members) {
      const key = duplicateKey(positions[i]!, unitOf(positions[i]!.unit))
      if (key !== undefined) addTo(fine, key, i)
    }
    assignGroups(positions, fine, result)
  }
  return result
}

/** For each position, the keys of the positions with its number in its object (itself included). */
const numberGroups = (positions: ReadonlyArray<Position>): Array<ReadonlyArray<string> | undefined> => {
  // By object, then by number: no joined key string per position — unless a field holds the separator, where
  // only the joined key says what the check always meant.
  const joined = positions.some((p) => p.objectCode.includes(SEP) || p.number.includes(SEP))
  const byObject = new Map<string, Groups<string>>()
  positions.forEach((p, i) => {
    const number = p.number.trim()
    if (number === "") return
    const outer = joined ? `${p.objectCode}${SEP}${number}` : p.objectCode
    let groups = byObject.get(outer)
    if (groups === undefined) {
      groups = new Map()
      byObject.set(outer, groups)
    }
    addTo(groups, joined ? "" : number, i)
  })
  const result = new Array<ReadonlyArray<string> | undefined>(positions.length)
  for (const groups of byObject.values()) assignGroups(positions, groups, result)
  return result
}

// Most positions have nothing to show as evidence; they share one empty (frozen) record.
const NO_EVIDENCE: Readonly<Record<string, string>> = Object.freeze({})

const others = (group: ReadonlyArray<string> | undefined, self: string): ReadonlyArray<string> =>
  group === undefined ? [] : group.filter((k) => k !== self)

const missing = (field: string, verdict: "RED" | "AMBER", confidence: number, suggestion: string): Finding => ({
  verdict,
  confidence,
  type: `missing-${field}`,
  description: `The position has no ${field}.`,
  suggestion
})

const judge = (
  p: Position,
  fingerprint: string,
  duplicates: ReadonlyArray<string> | undefined,
  sameNumbers: ReadonlyArray<string> | undefined
): ExpertOpinion => {
  const findings: Array<Finding> = []
  let evidence: Record<string, string> | undefined
  if (p.description.trim() === "") findings.push(missing("description", "RED", 90, "Describe the work or material."))
  if (p.unit.trim() === "") findings.push(missing("unit", "RED", 90, "Give the unit of measure (m, m2, m3, t, ks…)."))
  if (p.code.trim() === "") {
    findings.push(
      missing("code", "AMBER", 65, "Use a catalogue item, or mark the position as a custom item with its own code.")
    )
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
  const sameItem = others(duplicates, p.positionKey)
  if (sameItem.length > 0) {
    evidence = { duplicates: sameItem.slice(0, 10).join(", ") }
    findings.push({
      verdict: "AMBER",
      confidence: 65,
      type: "duplicate-position",
      description: `The same item (code, unit, description, note) appears ${sameItem.length + 1} times in section ${p.sectionCode || "(none)"} of object ${p.objectCode || "(none)"}.`,
      suggestion: "Merge the duplicates into one position, or tell them apart in the description."
    })
  }
  const sameNumber = others(sameNumbers, p.positionKey)
  if (sameNumber.length > 0) {
    evidence = { ...evidence, sameNumber: sameNumber.slice(0, 10).join(", ") }
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
    fingerprint,
    self,
    findings,
    {
      confidence: 90,
      reasoning: "Code, description and unit are present, the quantity is not negative and the item is not repeated."
    },
    evidence ?? NO_EVIDENCE
  )
}

/** Judges every position; duplicates are looked for within the batch. */
export const validatorExpert = markBuiltIn(
  makeRuleExpert(self.role, self.name, (positions) => {
    const duplicates = duplicateGroups(positions)
    const numbers = numberGroups(positions)
    const fingerprints = fingerprintsOf(positions)
    return positions.map((p, i) => judge(p, fingerprints[i]!, duplicates[i], numbers[i]))
  })
)
