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

/**
 * Equal refs shared within one audit. An audit of 100k positions names some 300k opinions in its resolutions, but
 * only a few hundred distinct (role, expert, verdict, confidence) refs: one object each instead of one per mention.
 */
export type RefCache = Map<string, Array<OpinionRef | undefined>>

/** `opinionRef`, from `cache` when given (refs are read-only values, so sharing them is safe). */
export const cachedRef = (cache: RefCache | undefined, o: ExpertOpinion): OpinionRef => {
  const role = roleOrder.indexOf(o.role)
  if (cache === undefined || role < 0 || !Number.isInteger(o.confidence) || o.confidence < 0 || o.confidence > 100)
    return opinionRef(o)
  let refs = cache.get(o.expert)
  if (refs === undefined) {
    refs = []
    cache.set(o.expert, refs)
  }
  const slot = (role * 3 + verdictLevel(o.verdict)) * 101 + o.confidence
  let ref = refs[slot]
  if (ref === undefined) {
    ref = opinionRef(o)
    refs[slot] = ref
  }
  return ref
}

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

const NO_ROLES: ReadonlyArray<ExpertRole> = Object.freeze([])

const addRole = (roles: Array<Set<ExpertRole> | undefined>, i: number, role: ExpertRole): void => {
  const set = roles[i]
  if (set === undefined) roles[i] = new Set([role])
  else set.add(role)
}

/**
 * The conflicts among the opinions on one position, already in canonical order (`compareOpinions`): appends them to
 * `conflicts` and returns the opinions with `conflictsWith` set. An opinion that conflicts with none and already says
 * so is returned as it is — most opinions of an audit, so they are not copied.
 */
export const conflictsWithin = (
  sorted: ReadonlyArray<ExpertOpinion>,
  conflictConfidence: number,
  conflicts: Array<AuditConflict>,
  refs?: RefCache
): ReadonlyArray<ExpertOpinion> => {
  let roles: Array<Set<ExpertRole> | undefined> | undefined
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i]!
      const b = sorted[j]!
      const levels = conflictLevels(a, b, conflictConfidence)
      if (levels === 0) continue
      conflicts.push({ positionKey: a.positionKey, first: cachedRef(refs, a), second: cachedRef(refs, b), levels })
      roles ??= []
      addRole(roles, i, b.role)
      addRole(roles, j, a.role)
    }
  }
  let out: Array<ExpertOpinion> | undefined
  for (let i = 0; i < sorted.length; i++) {
    const o = sorted[i]!
    const mine = roles?.[i]
    if (mine === undefined && o.conflictsWith.length === 0) {
      out?.push(o)
      continue
    }
    out ??= sorted.slice(0, i)
    out.push({ ...o, conflictsWith: mine === undefined ? NO_ROLES : roleOrder.filter((r) => mine.has(r)) })
  }
  return out ?? sorted
}

/** Finds every conflicting pair among opinions on the same position. Quadratic only within one position. */
export const detectConflicts = (opinions: ReadonlyArray<ExpertOpinion>, conflictConfidence: number): ConflictReport => {
  const sorted = [...opinions].sort(compareOpinions)
  const conflicts: Array<AuditConflict> = []
  const out: Array<ExpertOpinion> = []
  let start = 0
  while (start < sorted.length) {
    let end = start
    while (end < sorted.length && sorted[end]!.positionKey === sorted[start]!.positionKey) end++
    for (const o of conflictsWithin(sorted.slice(start, end), conflictConfidence, conflicts)) out.push(o)
    start = end
  }
  return { opinions: out, conflicts }
}
