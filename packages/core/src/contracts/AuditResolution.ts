// One status per position decided from the expert opinions by a policy, with the rule that decided and the dissent.
import { Schema } from "effect"
import { Confidence, OpinionRef, Verdict } from "./ExpertOpinion.ts"

/**
 * The rule that decided, in the order resolveAudit tries them:
 * - "veto": an opinion matched a policy veto (the most severe fired veto wins);
 * - "orchestrator": the orchestrator's opinion decided (highest confidence; ties go to the more severe);
 * - "unanimous": every opinion gave the same verdict;
 * - "most-severe": opinions differ but none conflict, so the most severe verdict stands;
 * - "weighted-vote": opinions conflict and one verdict holds at least `decisiveShare` of the weighted confidence;
 * - "needs-review": opinions conflict and no verdict wins the vote;
 * - "stale": the opinions judged different versions of the position (or none judged the current one);
 * - "no-opinions": no expert judged the position.
 */
export const ResolutionRule = Schema.Literals([
  "veto",
  "orchestrator",
  "unanimous",
  "most-severe",
  "weighted-vote",
  "needs-review",
  "stale",
  "no-opinions"
])
export type ResolutionRule = typeof ResolutionRule.Type

export const AuditResolution = Schema.Struct({
  positionKey: Schema.String,
  /** Fingerprint of the position the deciding opinions judged; null when none (or when they disagree). */
  positionFingerprint: Schema.NullOr(Schema.String),
  status: Verdict,
  /** Confidence of the decision; null when no rule decided. */
  confidence: Schema.NullOr(Confidence),
  rule: ResolutionRule,
  /** Human-readable: names the rule and the opinions that decided. */
  rationale: Schema.String,
  decidedBy: Schema.Array(OpinionRef),
  /** Opinions whose verdict differs from the status. */
  dissent: Schema.Array(OpinionRef),
  /** True when no rule decided and a person should look (the status is then AMBER). */
  needsReview: Schema.Boolean,
  /** How many opinions were weighed (stale ones excluded). */
  opinionCount: Schema.Number,
  /** How many opinions were left out because they judged an older version of the position. */
  staleOpinionCount: Schema.Number
})
export type AuditResolution = typeof AuditResolution.Type
