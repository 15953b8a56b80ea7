// Runs a panel of experts over a batch of positions and returns their opinions (stamped with the position's
// fingerprint, annotated with conflicts), the conflicts, one resolution per position, and the experts that
// failed. One failing expert never sinks the audit: its failure is reported and the others still count.
import { Effect, Result } from "effect"
import type { AuditPolicy } from "../contracts/AuditPolicy.ts"
import type { AuditResolution } from "../contracts/AuditResolution.ts"
import type { AuditConflict, ExpertOpinion, ExpertRole } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"
import { uniqueKeyIndex } from "../diff/keyIndex.ts"
import type { AuditContext } from "./AuditContext.ts"
import { defaultAuditPolicy } from "./defaultAuditPolicy.ts"
import { compareOpinions, conflictsWithin, type RefCache } from "./detectConflicts.ts"
import { type Expert, isBuiltIn } from "./Expert.ts"
import { isExpertOpinion } from "./isExpertOpinion.ts"
import { fingerprintsOf } from "./positionFingerprint.ts"
import { resolveSorted } from "./resolveAudit.ts"

/** An expert that failed, or whose output was partly dropped (opinions for unknown positions, bad values). */
export interface ExpertFailure {
  readonly expert: string
  readonly role: ExpertRole
  readonly reason: string
}

export interface AuditResult {
  /** Grouped by position in the order the positions were given; within one, in role then expert order. */
  readonly opinions: ReadonlyArray<ExpertOpinion>
  readonly conflicts: ReadonlyArray<AuditConflict>
  /** Exactly one per position, in the order the positions were given (no opinions → AMBER, needs review). */
  readonly resolutions: ReadonlyArray<AuditResolution>
  readonly failures: ReadonlyArray<ExpertFailure>
}

export interface AuditOptions {
  readonly policy?: AuditPolicy | undefined
  /** How many experts run at once (default: all); built-in experts are synchronous either way. */
  readonly concurrency?: number | "unbounded" | undefined
}

export const auditPositions = Effect.fn("auditPositions")(function* <R>(
  positions: ReadonlyArray<Position>,
  experts: ReadonlyArray<Expert<R>>,
  context: AuditContext,
  options: AuditOptions = {}
) {
  const policy = options.policy ?? defaultAuditPolicy
  // Positions by index; a repeated key is one position to the audit, standing at its first index and judged in the
  // version given last (its fingerprint).
  const batch = fingerprintsOf(positions)
  const canonical = new Int32Array(positions.length)
  let fingerprints: ReadonlyArray<string>
  let indexOf: (key: unknown) => number | undefined
  const unique = uniqueKeyIndex(positions)
  if (unique !== undefined) {
    for (let i = 0; i < positions.length; i++) canonical[i] = i
    fingerprints = batch
    indexOf = (key) => {
      const i = typeof key === "string" ? unique.find(key) : -1
      return i < 0 ? undefined : i
    }
  } else {
    const firstIndex = new Map<string, number>()
    const byFirst = new Array<string>(positions.length)
    for (let i = 0; i < positions.length; i++) {
      const first = firstIndex.get(positions[i]!.positionKey)
      if (first === undefined) firstIndex.set(positions[i]!.positionKey, i)
      canonical[i] = first ?? i
      byFirst[first ?? i] = batch[i]!
    }
    fingerprints = byFirst
    indexOf = (key) => firstIndex.get(key as string)
  }
  const outcomes = yield* Effect.forEach(experts, (expert) => Effect.result(expert.run(positions, context)), {
    concurrency: options.concurrency ?? "unbounded"
  })

  const failures: Array<ExpertFailure> = []
  // Accepted opinions in arrival order, chained per position index (first, last, next): one flat list instead of a
  // growing array per position, which at 100k positions mostly cost garbage collection.
  const accepted: Array<ExpertOpinion> = []
  const first = new Int32Array(positions.length).fill(-1)
  const last = new Int32Array(positions.length)
  const chain: Array<number> = []
  outcomes.forEach((outcome, i) => {
    const expert = experts[i]!
    if (Result.isFailure(outcome)) {
      failures.push({ expert: expert.name, role: expert.role, reason: outcome.failure.message })
      return
    }
    let unknown = 0
    let invalid = 0
    const checked = !isBuiltIn(expert)
    // Experts mostly answer in the order of the positions: try the next position before looking the key up.
    let next = 0
    for (const opinion of outcome.success) {
      let index: number | undefined
      if (next < positions.length && positions[next]!.positionKey === opinion.positionKey) index = canonical[next++]
      else {
        index = indexOf(opinion.positionKey)
        if (index !== undefined) next = index + 1
      }
      if (index === undefined) unknown++
      else if (checked && !isExpertOpinion(opinion)) invalid++
      else {
        const fingerprint = fingerprints[index]!
        // The engine, not the expert, says which version was judged: the one it handed over.
        const stamped =
          opinion.positionFingerprint === fingerprint ? opinion : { ...opinion, positionFingerprint: fingerprint }
        const at = accepted.length
        accepted.push(stamped)
        chain.push(-1)
        if (first[index] === -1) first[index] = at
        else chain[last[index]!] = at
        last[index] = at
      }
    }
    if (unknown > 0) {
      failures.push({
        expert: expert.name,
        role: expert.role,
        reason: `${unknown} opinion(s) for positions not in the audit were dropped`
      })
    }
    if (invalid > 0) {
      failures.push({
        expert: expert.name,
        role: expert.role,
        reason: `${invalid} opinion(s) that are not valid ExpertOpinion values (e.g. confidence outside 0–100) were dropped`
      })
    }
  })

  // Position by position: canonical order, conflicts, resolution — the same as detectConflicts over all opinions
  // followed by resolvePosition, without sorting every opinion of the audit together.
  const opinions: Array<ExpertOpinion> = []
  const conflicts: Array<AuditConflict> = []
  const resolutions = new Array<AuditResolution>(positions.length)
  const refs: RefCache = new Map()
  for (let i = 0; i < positions.length; i++) {
    if (canonical[i] !== i) {
      resolutions[i] = resolutions[canonical[i]!]!
      continue
    }
    const group: Array<ExpertOpinion> = []
    for (let at = first[i]!; at !== -1; at = chain[at]!) group.push(accepted[at]!)
    const sorted =
      group.length === 0
        ? group
        : conflictsWithin(group.sort(compareOpinions), policy.conflictConfidence, conflicts, refs)
    for (const o of sorted) opinions.push(o)
    resolutions[i] = resolveSorted(positions[i]!.positionKey, sorted, policy, fingerprints[i], refs)
  }
  const result: AuditResult = { opinions, conflicts, resolutions, failures }
  return result
})
