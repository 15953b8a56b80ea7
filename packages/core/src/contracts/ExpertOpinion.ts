// The verdict of one audit expert on one position, and the conflicts between such verdicts, as they travel
// between core, server, worker and SDK. Holds no logic: the rules live in src/audit/.
import { Schema } from "effect"

/** Who judged: built-in deterministic rule sets and external experts (an LLM, a human firm) share these roles. */
export const ExpertRole = Schema.Literals(["structural", "concrete", "cost", "standards", "validator", "orchestrator"])
export type ExpertRole = typeof ExpertRole.Type

/** Traffic-light verdict, ordered GREEN < AMBER < RED by severity. */
export const Verdict = Schema.Literals(["GREEN", "AMBER", "RED"])
export type Verdict = typeof Verdict.Type

/** Confidence in a verdict, an integer 0–100. */
export const Confidence = Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 100 }))
export type Confidence = typeof Confidence.Type

export const IssueSeverity = Schema.Literals(["info", "warning", "error"])
export type IssueSeverity = typeof IssueSeverity.Type

/** One finding behind a verdict. `type` is a stable kebab-case name, e.g. "total-mismatch". */
export const AuditIssue = Schema.Struct({
  type: Schema.String,
  severity: IssueSeverity,
  description: Schema.String,
  suggestion: Schema.String
})
export type AuditIssue = typeof AuditIssue.Type

export const ExpertOpinion = Schema.Struct({
  positionKey: Schema.String,
  /** Fingerprint of the judged fields of the position when it was judged; a different one now means stale. */
  positionFingerprint: Schema.String,
  role: ExpertRole,
  /** Name of the expert within its role, e.g. "builtin.cost" or "llm.gpt". */
  expert: Schema.String,
  verdict: Verdict,
  confidence: Confidence,
  reasoning: Schema.String,
  issues: Schema.Array(AuditIssue),
  /** Facts the verdict rests on, as strings (exact decimals stay decimal strings). */
  evidence: Schema.Record(Schema.String, Schema.String),
  /** Roles of the other opinions on the same position this one conflicts with; filled by the audit run. */
  conflictsWith: Schema.Array(ExpertRole)
})
export type ExpertOpinion = typeof ExpertOpinion.Type

/** A short reference to an opinion, used in conflicts and resolutions. */
export const OpinionRef = Schema.Struct({
  role: ExpertRole,
  expert: Schema.String,
  verdict: Verdict,
  confidence: Confidence
})
export type OpinionRef = typeof OpinionRef.Type

/** Two opinions on one position that disagree by two levels, or by one level with both confident. */
export const AuditConflict = Schema.Struct({
  positionKey: Schema.String,
  first: OpinionRef,
  second: OpinionRef,
  /** How many severity levels apart the verdicts are (1 or 2). */
  levels: Schema.Literals([1, 2])
})
export type AuditConflict = typeof AuditConflict.Type
