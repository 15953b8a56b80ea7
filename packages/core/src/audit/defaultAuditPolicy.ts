// The policy a project gets unless it sets its own, and a helper to change parts of it.
import type { AuditPolicy } from "../contracts/AuditPolicy.ts"

/**
 * A one-level disagreement is a conflict from confidence 70 on both sides. Rule experts' RED findings at
 * confidence >= 90 are deterministic facts (arithmetic, missing fields, invalid EN 206 classes) and veto;
 * standards vetoes from 80 (a unit that is not the code's unit). An orchestrator, when present, decides after
 * the vetoes. A conflict is won by vote only with 80% of the weighted confidence; otherwise a person reviews.
 */
export const defaultAuditPolicy: AuditPolicy = {
  conflictConfidence: 70,
  roleWeights: {},
  vetoes: [
    { role: "standards", verdict: "RED", minConfidence: 80 },
    { role: "cost", verdict: "RED", minConfidence: 90 },
    { role: "validator", verdict: "RED", minConfidence: 90 },
    { role: "concrete", verdict: "RED", minConfidence: 90 },
    { role: "structural", verdict: "RED", minConfidence: 90 }
  ],
  orchestratorDecides: true,
  decisiveShare: 0.8
}

/** The default policy with the given parts replaced. */
export const makeAuditPolicy = (overrides: Partial<AuditPolicy> = {}): AuditPolicy => ({
  ...defaultAuditPolicy,
  ...overrides
})
