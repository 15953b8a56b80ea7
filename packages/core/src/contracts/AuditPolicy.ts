// The per-project rules that turn several expert opinions on a position into one status.
// Holds no logic: resolveAudit in src/audit/ applies it; defaultAuditPolicy lives there too.
import { Schema } from "effect"
import { Confidence, ExpertRole, Verdict } from "./ExpertOpinion.ts"

/** "An opinion of `role` with `verdict` at confidence >= `minConfidence` decides the position." */
export const AuditVeto = Schema.Struct({
  role: ExpertRole,
  verdict: Verdict,
  minConfidence: Confidence
})
export type AuditVeto = typeof AuditVeto.Type

export const AuditPolicy = Schema.Struct({
  /** One level apart is a conflict only when both confidences reach this (default 70). */
  conflictConfidence: Confidence,
  /** Weight of each role in the weighted vote; a role not listed weighs 1, weight 0 leaves it out of the vote. */
  roleWeights: Schema.Record(ExpertRole, Schema.optionalKey(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)))),
  /** Checked first; when several fire, the most severe verdict among them wins. */
  vetoes: Schema.Array(AuditVeto),
  /** When true, an orchestrator opinion decides (after vetoes). */
  orchestratorDecides: Schema.Boolean,
  /** Share (0–1] of the weighted confidence a verdict needs to win a conflict by vote. */
  decisiveShare: Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1, exclusiveMinimum: true }))
})
export type AuditPolicy = typeof AuditPolicy.Type
