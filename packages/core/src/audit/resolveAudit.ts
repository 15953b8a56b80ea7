// Turns the opinions on each position into one status under a policy: vetoes, then the orchestrator, then
// agreement, then a weighted vote; when nothing decides, AMBER and a person reviews. Pure and deterministic:
// opinions are put in a canonical order first, so the order they arrive in never changes the outcome.
import type { AuditPolicy } from "../contracts/AuditPolicy.ts"
import type { AuditResolution } from "../contracts/AuditResolution.ts"
import type { ExpertOpinion, ExpertRole, Verdict } from "../contracts/ExpertOpinion.ts"
import { defaultAuditPolicy } from "./defaultAuditPolicy.ts"
import { compareOpinions, conflictLevels, groupByPosition, opinionRef } from "./detectConflicts.ts"
import { verdictLevel } from "./Finding.ts"

export interface ResolveOptions {
  /** Current fingerprint per position key: opinions on another fingerprint are stale and left out. */
  readonly currentFingerprints?: ReadonlyMap<string, string> | undefined
}

const mostSevere = (opinions: ReadonlyArray<ExpertOpinion>): Verdict =>
  opinions.reduce<Verdict>((v, o) => (verdictLevel(o.verdict) > verdictLevel(v) ? o.verdict : v), "GREEN")

const describe = (o: ExpertOpinion): string => `${o.role} (${o.expert}) ${o.verdict} at ${o.confidence}`

type Decision = Pick<AuditResolution, "status" | "confidence" | "rule" | "rationale" | "needsReview"> & {
  readonly decidedBy: ReadonlyArray<ExpertOpinion>
}

const needsReview = (rule: AuditResolution["rule"], rationale: string): Decision => ({
  status: "AMBER",
  confidence: null,
  rule,
  rationale,
  needsReview: true,
  decidedBy: []
})

const decide = (opinions: ReadonlyArray<ExpertOpinion>, policy: AuditPolicy): Decision => {
  const fired = opinions.filter((o) =>
    policy.vetoes.some((v) => v.role === o.role && v.verdict === o.verdict && o.confidence >= v.minConfidence)
  )
  if (fired.length > 0) {
    const status = mostSevere(fired)
    const deciders = fired.filter((o) => o.verdict === status)
    return {
      status,
      confidence: Math.max(...deciders.map((o) => o.confidence)),
      rule: "veto",
      rationale: `Veto: ${deciders.map(describe).join("; ")} meets a veto of the policy.`,
      needsReview: false,
      decidedBy: deciders
    }
  }

  const orchestrators = opinions.filter((o) => o.role === "orchestrator")
  if (policy.orchestratorDecides && orchestrators.length > 0) {
    // Highest confidence decides; between equally sure orchestrators the more severe verdict does.
    const chosen = orchestrators.reduce((best, o) =>
      o.confidence > best.confidence ||
      (o.confidence === best.confidence && verdictLevel(o.verdict) > verdictLevel(best.verdict))
        ? o
        : best
    )
    return {
      status: chosen.verdict,
      confidence: chosen.confidence,
      rule: "orchestrator",
      rationale: `Orchestrator: ${describe(chosen)} decides.`,
      needsReview: false,
      decidedBy: [chosen]
    }
  }

  const first = opinions[0]!
  if (opinions.every((o) => o.verdict === first.verdict)) {
    return {
      status: first.verdict,
      confidence: Math.round(opinions.reduce((sum, o) => sum + o.confidence, 0) / opinions.length),
      rule: "unanimous",
      rationale: `Unanimous: all ${opinions.length} opinion(s) say ${first.verdict}.`,
      needsReview: false,
      decidedBy: opinions
    }
  }

  const conflicting = opinions.some((a, i) =>
    opinions.slice(i + 1).some((b) => conflictLevels(a, b, policy.conflictConfidence) > 0)
  )
  if (!conflicting) {
    const status = mostSevere(opinions)
    const deciders = opinions.filter((o) => o.verdict === status)
    return {
      status,
      confidence: Math.max(...deciders.map((o) => o.confidence)),
      rule: "most-severe",
      rationale: `Most severe without conflict: ${deciders.map(describe).join("; ")}.`,
      needsReview: false,
      decidedBy: deciders
    }
  }

  const weightOf = (role: ExpertRole): number => policy.roleWeights[role] ?? 1
  const scores = new Map<Verdict, number>()
  let total = 0
  for (const o of opinions) {
    const score = weightOf(o.role) * o.confidence
    scores.set(o.verdict, (scores.get(o.verdict) ?? 0) + score)
    total += score
  }
  const ranked = [...scores.entries()].sort((a, b) => b[1] - a[1])
  const [winner, best] = ranked[0]!
  const tied = ranked.length > 1 && ranked[1]![1] === best
  const share = total > 0 ? best / total : 0
  const shares = ranked.map(([v, s]) => `${v} ${Math.round((total > 0 ? s / total : 0) * 100)}%`).join(", ")
  if (!tied && total > 0 && share >= policy.decisiveShare) {
    return {
      status: winner,
      confidence: Math.round(share * 100),
      rule: "weighted-vote",
      rationale: `Weighted vote: ${shares} of the weighted confidence; ${winner} reaches the decisive ${Math.round(policy.decisiveShare * 100)}%.`,
      needsReview: false,
      decidedBy: opinions.filter((o) => o.verdict === winner)
    }
  }
  return needsReview(
    "needs-review",
    `Needs review: the opinions conflict and no verdict reaches ${Math.round(policy.decisiveShare * 100)}% of the weighted confidence (${shares}).`
  )
}

/** Resolves one position from its opinions (any order). */
export const resolvePosition = (
  positionKey: string,
  opinions: ReadonlyArray<ExpertOpinion>,
  policy: AuditPolicy = defaultAuditPolicy,
  currentFingerprint?: string
): AuditResolution => {
  const sorted = opinions.filter((o) => o.positionKey === positionKey).sort(compareOpinions)
  const fresh =
    currentFingerprint === undefined ? sorted : sorted.filter((o) => o.positionFingerprint === currentFingerprint)
  const staleOpinionCount = sorted.length - fresh.length
  const fingerprints = new Set(fresh.map((o) => o.positionFingerprint))
  const decision: Decision =
    sorted.length === 0
      ? needsReview("no-opinions", "No expert judged this position.")
      : fresh.length === 0
        ? needsReview(
            "stale",
            `All ${sorted.length} opinion(s) judged an older version of the position; audit it again.`
          )
        : fingerprints.size > 1
          ? needsReview("stale", "The opinions judged different versions of the position; audit it again.")
          : decide(fresh, policy)
  const dissent = decision.rule === "stale" ? [] : fresh.filter((o) => o.verdict !== decision.status).map(opinionRef)
  const dissentText =
    dissent.length === 0
      ? ""
      : ` Dissent: ${dissent.map((d) => `${d.role} ${d.verdict} at ${d.confidence}`).join("; ")}.`
  return {
    positionKey,
    positionFingerprint: currentFingerprint ?? (fingerprints.size === 1 ? [...fingerprints][0]! : null),
    status: decision.status,
    confidence: decision.confidence,
    rule: decision.rule,
    rationale: decision.rationale + dissentText,
    decidedBy: decision.decidedBy.map(opinionRef),
    dissent,
    needsReview: decision.needsReview,
    opinionCount: fresh.length,
    staleOpinionCount
  }
}

/** One resolution per position that has opinions, sorted by position key. */
export const resolveAudit = (
  opinions: ReadonlyArray<ExpertOpinion>,
  policy: AuditPolicy = defaultAuditPolicy,
  options: ResolveOptions = {}
): ReadonlyArray<AuditResolution> =>
  [...groupByPosition(opinions).entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, group]) => resolvePosition(key, group, policy, options.currentFingerprints?.get(key)))
