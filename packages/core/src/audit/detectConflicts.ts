// Which opinions on the same position contradict each other: two levels apart (GREEN vs RED), or one level
// apart with both sides at least `conflictConfidence` sure.
import type { AuditConflict, ExpertOpinion, ExpertRole, OpinionRef } from "../contracts/ExpertOpinion.ts"
import { ExpertRole as ExpertRoleSchema } from "../contracts/ExpertOpinion.ts"
import { verdictLevel } from "./Finding.ts"

const roleOrder: ReadonlyArray<ExpertRole> = ExpertRoleSchema.literals

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** A total order on opinions; sorting by it makes every result independent of the order opinions arrive in. */
export const compareOpinions = (a: ExpertOpinion, b: ExpertOpinion): number =>
  compareText(a.positionKey, b.positionKey) ||
  roleOrder.indexOf(a.role) - roleOrder.indexOf(b.role) ||
  compareText(a.expert, b.expert) ||
  verdictLevel(a.verdict) - verdictLevel(b.verdict) ||
  a.confidence - b.confidence ||
  compareText(a.positionFingerprint, b.positionFingerprint) ||
  compareText(a.reasoning, b.reasoning)

export const opinionRef = (o: ExpertOpinion): OpinionRef => ({
  role: o.role,
  expert: o.expert,
  verdict: o.verdict,
  confidence: o.confidence
})

/** 1 or 2 when the two opinions conflict under the threshold, else 0. Opinions of one expert never conflict. */
export const conflictLevels = (a: ExpertOpinion, b: ExpertOpinion, conflictConfidence: number): 0 | 1 | 2 => {
  if (a.role === b.role && a.expert === b.expert) return 0
  const levels = Math.abs(verdictLevel(a.verdict) - verdictLevel(b.verdict))
  if (levels === 2) return 2
  return levels === 1 && a.confidence >= conflictConfidence && b.confidence >= conflictConfidence ? 1 : 0
}

export const groupByPosition = (
  opinions: ReadonlyArray<ExpertOpinion>
): ReadonlyMap<string, ReadonlyArray<ExpertOpinion>> => {
  const groups = new Map<string, Array<ExpertOpinion>>()
  for (const o of opinions) {
    const group = groups.get(o.positionKey)
    if (group === undefined) groups.set(o.positionKey, [o])
    else group.push(o)
  }
  return groups
}

export interface ConflictReport {
  /** The opinions in canonical order, each with `conflictsWith` set to the sorted roles it conflicts with. */
  readonly opinions: ReadonlyArray<ExpertOpinion>
  readonly conflicts: ReadonlyArray<AuditConflict>
}

/** Finds every conflicting pair among opinions on the same position. Quadratic only within one position. */
export const detectConflicts = (opinions: ReadonlyArray<ExpertOpinion>, conflictConfidence: number): ConflictReport => {
  const sorted = [...opinions].sort(compareOpinions)
  const conflicts: Array<AuditConflict> = []
  const roles = sorted.map(() => new Set<ExpertRole>())
  let start = 0
  while (start < sorted.length) {
    let end = start
    while (end < sorted.length && sorted[end]!.positionKey === sorted[start]!.positionKey) end++
    for (let i = start; i < end; i++) {
      for (let j = i + 1; j < end; j++) {
        const a = sorted[i]!
        const b = sorted[j]!
        const levels = conflictLevels(a, b, conflictConfidence)
        if (levels === 0) continue
        conflicts.push({ positionKey: a.positionKey, first: opinionRef(a), second: opinionRef(b), levels })
        roles[i]!.add(b.role)
        roles[j]!.add(a.role)
      }
    }
    start = end
  }
  return {
    opinions: sorted.map((o, i) => ({
      ...o,
      conflictsWith: roleOrder.filter((r) => roles[i]!.has(r))
    })),
    conflicts
  }
}
