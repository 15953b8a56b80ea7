// The status a position shows: a person's override while the position is unchanged since it was made,
// otherwise the automatic resolution while it still describes the current position, otherwise unaudited.
import type { AuditResolution } from "../contracts/AuditResolution.ts"
import type { Verdict } from "../contracts/ExpertOpinion.ts"
import type { HumanOverride } from "../contracts/HumanOverride.ts"
import type { Position, PositionStatus } from "../contracts/Position.ts"
import { positionFingerprint } from "./positionFingerprint.ts"

export interface EffectiveStatus {
  /** Ready for Position.status: "green" | "amber" | "red" | "unaudited". */
  readonly status: PositionStatus
  readonly verdict: Verdict | null
  readonly source: "override" | "resolution" | "none"
  readonly confidence: number | null
  readonly needsReview: boolean
  readonly override: HumanOverride | null
  readonly resolution: AuditResolution | null
  /** The newest override exists but the position changed since; it no longer applies. */
  readonly staleOverride: boolean
  /** A resolution exists but judged another version of the position; audit again. */
  readonly staleResolution: boolean
}

const lower = (v: Verdict): PositionStatus => (v === "GREEN" ? "green" : v === "AMBER" ? "amber" : "red")

/** The newest override for the position (by `at`, later in the list on ties). Older ones never revive. */
export const latestOverride = (
  overrides: ReadonlyArray<HumanOverride>,
  positionKey: string
): HumanOverride | undefined =>
  overrides.reduce<HumanOverride | undefined>(
    (latest, o) => (o.positionKey !== positionKey || (latest !== undefined && o.at < latest.at) ? latest : o),
    undefined
  )

export const effectiveStatus = (
  resolution: AuditResolution | undefined,
  overrides: HumanOverride | ReadonlyArray<HumanOverride> | undefined,
  current: Position
): EffectiveStatus => {
  const fingerprint = positionFingerprint(current)
  const list: ReadonlyArray<HumanOverride> =
    overrides === undefined ? [] : "positionKey" in overrides ? [overrides] : overrides
  const override = latestOverride(list, current.positionKey)
  const ownResolution =
    resolution !== undefined && resolution.positionKey === current.positionKey ? resolution : undefined
  const staleOverride = override !== undefined && override.positionFingerprint !== fingerprint
  const staleResolution = ownResolution !== undefined && ownResolution.positionFingerprint !== fingerprint
  const base = {
    resolution: ownResolution ?? null,
    staleOverride,
    staleResolution
  }
  if (override !== undefined && !staleOverride) {
    return {
      ...base,
      status: lower(override.status),
      verdict: override.status,
      source: "override",
      confidence: null,
      needsReview: false,
      override
    }
  }
  if (ownResolution !== undefined && !staleResolution) {
    return {
      ...base,
      status: lower(ownResolution.status),
      verdict: ownResolution.status,
      source: "resolution",
      confidence: ownResolution.confidence,
      needsReview: ownResolution.needsReview,
      override: null
    }
  }
  return {
    ...base,
    status: "unaudited",
    verdict: null,
    source: "none",
    confidence: null,
    needsReview: false,
    override: null
  }
}
