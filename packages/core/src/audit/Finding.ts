// How a rule expert turns the findings of its checks on one position into one opinion.
import type { AuditIssue, ExpertOpinion, ExpertRole, Verdict } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"

/** One check's outcome: the verdict it argues for, how sure it is, and the issue to show. */
export interface Finding {
  readonly verdict: Verdict
  readonly confidence: number
  readonly type: string
  readonly description: string
  readonly suggestion: string
}

const NO_ISSUES: ReadonlyArray<AuditIssue> = Object.freeze([])
const NO_ROLES: ReadonlyArray<ExpertRole> = Object.freeze([])

export const verdictLevel = (verdict: Verdict): number => (verdict === "GREEN" ? 0 : verdict === "AMBER" ? 1 : 2)

const severityOf = (verdict: Verdict): AuditIssue["severity"] =>
  verdict === "RED" ? "error" : verdict === "AMBER" ? "warning" : "info"

/**
 * The most severe finding decides the verdict, at the highest confidence among findings of that severity;
 * with no AMBER/RED finding the verdict is GREEN at `clean.confidence`. GREEN findings are kept as info issues.
 */
export const opinionFromFindings = (
  position: Position,
  fingerprint: string,
  expert: { readonly role: ExpertRole; readonly name: string },
  findings: ReadonlyArray<Finding>,
  clean: { readonly confidence: number; readonly reasoning: string },
  evidence: Readonly<Record<string, string>>
): ExpertOpinion => {
  // Most positions of a budget pass every check: their opinion shares the empty lists instead of allocating them.
  if (findings.length === 0) {
    return {
      positionKey: position.positionKey,
      positionFingerprint: fingerprint,
      role: expert.role,
      expert: expert.name,
      verdict: "GREEN",
      confidence: clean.confidence,
      reasoning: clean.reasoning,
      issues: NO_ISSUES,
      evidence,
      conflictsWith: NO_ROLES
    }
  }
  const worst = findings.reduce((level, f) => Math.max(level, verdictLevel(f.verdict)), 0)
  const deciding = findings.filter((f) => verdictLevel(f.verdict) === worst && worst > 0)
  const verdict: Verdict = worst === 2 ? "RED" : worst === 1 ? "AMBER" : "GREEN"
  const confidence = deciding.length > 0 ? Math.max(...deciding.map((f) => f.confidence)) : clean.confidence
  return {
    positionKey: position.positionKey,
    positionFingerprint: fingerprint,
    role: expert.role,
    expert: expert.name,
    verdict,
    confidence,
    reasoning: deciding.length > 0 ? deciding.map((f) => f.description).join(" ") : clean.reasoning,
    issues: findings.map((f) => ({
      type: f.type,
      severity: severityOf(f.verdict),
      description: f.description,
      suggestion: f.suggestion
    })),
    evidence,
    conflictsWith: NO_ROLES
  }
}
