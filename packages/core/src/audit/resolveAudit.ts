// Turns the opinions on each position into one status under a policy: vetoes, then the orchestrator, then
// agreement, then a weighted vote; when nothing decides, AMBER and a person reviews. Pure and deterministic:
// opinions are put in a canonical order first, so the order they arrive in never changes the outcome.
import type { AuditPolicy } from "../contracts/AuditPolicy.ts"
import type { AuditResolution } from "../contracts/AuditResolution.ts"
import type { ExpertOpinion, ExpertRole, OpinionRef, Verdict } from "../contracts/ExpertOpinion.ts"
import { defaultAuditPolicy } from "./defaultAuditPolicy.ts"
import { cachedRef, compareOpinions, conflictLevels, groupByPosition, type RefCache } from "./detectConflicts.ts"
import { verdictLevel } from "./Finding.ts"

export interface ResolveOptions {
  /** Current fingerprint per position key: opinions on another fingerprint are stale and left out. */
  readonly currentFingerprints?: ReadonlyMap<string, string> | undefined
}

const NO_REFS: ReadonlyArray<OpinionRef> = Object.freeze([])
const NONE: ReadonlyArray<ExpertOpinion> = Object.freeze([])

// The rationale most positions get, written once per (count, verdict) rather than once per position.
const unanimousTexts = new Map<string, string>()
const unanimousRationale = (count: number, verdict: Verdict): string => {
  const key = `${count}${verdict}`
  let text = unanimousTexts.get(key)
  if (text === undefined) {
    text = `Unanimous: all ${count} opinion(s) say ${verdict}.`
    if (count <= 64) unanimousTexts.set(key, text)
  }
  return text
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

const firesVeto = (o: ExpertOpinion, policy: AuditPolicy): boolean => {
  for (const v of policy.vetoes)
    if (v.role === o.role && v.verdict === o.verdict && o.confidence >= v.minConfidence) return true
  return false
}

const decide = (opinions: ReadonlyArray<ExpertOpinion>, policy: AuditPolicy): Decision => {
  let fired: Array<ExpertOpinion> | undefined
  for (const o of opinions) {
    if (!firesVeto(o, policy)) continue
    if (fired === undefined) fired = [o]
    else fired.push(o)
  }
  if (fired !== undefined) {
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

  const orchestrators =
    policy.orchestratorDecides && opinions.some((o) => o.role === "orchestrator")
      ? opinions.filter((o) => o.role === "orchestrator")
      : NONE
  if (orchestrators.length > 0) {
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
      rationale: unanimousRationale(opinions.length, first.verdict),
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
): AuditResolution =>
  resolveSorted(
    positionKey,
    opinions.filter((o) => o.positionKey === positionKey).sort(compareOpinions),
    policy,
    currentFingerprint
  )

/** `resolvePosition` for opinions that are all on `positionKey` and already in canonical order. */
export const resolveSorted = (
  positionKey: string,
  sorted: ReadonlyArray<ExpertOpinion>,
  policy: AuditPolicy,
  currentFingerprint: string | undefined,
  refs?: RefCache
): AuditResolution => {
  const fresh =
    currentFingerprint === undefined || sorted.every((o) => o.positionFingerprint === currentFingerprint)
      ? sorted
      : sorted.filter((o) => o.positionFingerprint === currentFingerprint)
  const staleOpinionCount = sorted.length - fresh.length
  const fingerprint = fresh[0]?.positionFingerprint
  const oneFingerprint = fresh.every((o) => o.positionFingerprint === fingerprint)
  const decision: Decision =
    sorted.length === 0
      ? needsReview("no-opinions", "No expert judged this position.")
      : fresh.length === 0
        ? needsReview(
            "stale",
            `All ${sorted.length} opinion(s) judged an older version of the position; audit it again.`
          )
        : !oneFingerprint
          ? needsReview("stale", "The opinions judged different versions of the position; audit it again.")
          : decide(fresh, policy)
  const dissenting =
    decision.rule === "stale" || fresh.every((o) => o.verdict === decision.status)
      ? NONE
      : fresh.filter((o) => o.verdict !== decision.status)
  const dissent = dissenting.length === 0 ? NO_REFS : dissenting.map((o) => cachedRef(refs, o))
  const dissentText =
    dissent.length === 0
      ? ""
      : ` Dissent: ${dissent.map((d) => `${d.role} ${d.verdict} at ${d.confidence}`).join("; ")}.`
  return {
    positionKey,
    positionFingerprint: currentFingerprint ?? (fingerprint !== undefined && oneFingerprint ? fingerprint : null),
    status: decision.status,
    confidence: decision.confidence,
    rule: decision.rule,
    rationale: decision.rationale + dissentText,
    decidedBy: decision.decidedBy.map((o) => cachedRef(refs, o)),
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
