// Runs a panel of experts over a batch of positions and returns their opinions (stamped with the position's
// fingerprint, annotated with conflicts), the conflicts, one resolution per position, and the experts that
// failed. One failing expert never sinks the audit: its failure is reported and the others still count.
import { Effect, Result, Schema } from "effect"
import type { AuditPolicy } from "../contracts/AuditPolicy.ts"
import type { AuditResolution } from "../contracts/AuditResolution.ts"
import type { AuditConflict, ExpertRole } from "../contracts/ExpertOpinion.ts"
import { ExpertOpinion } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"
import type { AuditContext } from "./AuditContext.ts"
import { defaultAuditPolicy } from "./defaultAuditPolicy.ts"
import { detectConflicts, groupByPosition } from "./detectConflicts.ts"
import type { Expert } from "./Expert.ts"
import { positionFingerprint } from "./positionFingerprint.ts"
import { resolvePosition } from "./resolveAudit.ts"

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

const isOpinion = Schema.is(ExpertOpinion)

export const auditPositions = Effect.fn("auditPositions")(function* <R>(
  positions: ReadonlyArray<Position>,
  experts: ReadonlyArray<Expert<R>>,
  context: AuditContext,
  options: AuditOptions = {}
) {
  const policy = options.policy ?? defaultAuditPolicy
  const fingerprints = new Map(positions.map((p) => [p.positionKey, positionFingerprint(p)]))
  const outcomes = yield* Effect.forEach(experts, (expert) => Effect.result(expert.run(positions, context)), {
    concurrency: options.concurrency ?? "unbounded"
  })

  const failures: Array<ExpertFailure> = []
  const accepted: Array<ExpertOpinion> = []
  outcomes.forEach((outcome, i) => {
    const expert = experts[i]!
    if (Result.isFailure(outcome)) {
      failures.push({ expert: expert.name, role: expert.role, reason: outcome.failure.message })
      return
    }
    let unknown = 0
    let invalid = 0
    for (const opinion of outcome.success) {
      const fingerprint = fingerprints.get(opinion.positionKey)
      if (fingerprint === undefined) unknown++
      else if (!isOpinion(opinion)) invalid++
      // The engine, not the expert, says which version was judged: the one it handed over.
      else accepted.push({ ...opinion, positionFingerprint: fingerprint })
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

  const { opinions, conflicts } = detectConflicts(accepted, policy.conflictConfidence)
  const byPosition = groupByPosition(opinions)
  const conflictsByPosition = new Map<string, Array<AuditConflict>>()
  for (const c of conflicts) {
    const group = conflictsByPosition.get(c.positionKey)
    if (group === undefined) conflictsByPosition.set(c.positionKey, [c])
    else group.push(c)
  }
  const keys = [...new Set(positions.map((p) => p.positionKey))]
  const result: AuditResult = {
    opinions: keys.flatMap((key) => byPosition.get(key) ?? []),
    conflicts: keys.flatMap((key) => conflictsByPosition.get(key) ?? []),
    resolutions: positions.map((p) =>
      resolvePosition(p.positionKey, byPosition.get(p.positionKey) ?? [], policy, fingerprints.get(p.positionKey))
    ),
    failures
  }
  return result
})
