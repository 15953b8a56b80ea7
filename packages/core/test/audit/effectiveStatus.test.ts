import { describe, expect, it } from "vitest"
import { effectiveStatus, latestOverride } from "../../src/audit/effectiveStatus.ts"
import { positionFingerprint } from "../../src/audit/positionFingerprint.ts"
import { resolvePosition } from "../../src/audit/resolveAudit.ts"
import type { HumanOverride } from "../../src/contracts/HumanOverride.ts"
import type { Position } from "../../src/contracts/Position.ts"
import { opinion, pos } from "./fixtures/positions.ts"

const current = pos()
const changed = pos({ quantity: "11.000", total: "320.10" })
const fp = positionFingerprint(current)

const resolutionFor = (p: Position, verdict: "GREEN" | "AMBER" | "RED" = "RED") =>
  resolvePosition(p.positionKey, [opinion("cost", verdict, 95, { positionFingerprint: positionFingerprint(p) })])

const override = (status: HumanOverride["status"], at: string, fingerprint = fp): HumanOverride => ({
  positionKey: "p1",
  positionFingerprint: fingerprint,
  status,
  reason: "site visit: price agreed with the supplier",
  by: "user-7",
  at
})

describe("effectiveStatus", () => {
  it("shows the resolution while it judged the current position", () => {
    const s = effectiveStatus(resolutionFor(current), undefined, current)
    expect(s).toMatchObject({
      status: "red",
      verdict: "RED",
      source: "resolution",
      confidence: 95,
      staleResolution: false
    })
  })

  it("an override wins over the resolution while the position is unchanged", () => {
    const o = override("GREEN", "2025-01-02T10:00:00Z")
    const s = effectiveStatus(resolutionFor(current), o, current)
    expect(s).toMatchObject({
      status: "green",
      verdict: "GREEN",
      source: "override",
      override: o,
      staleOverride: false
    })
    expect(s.resolution?.status).toBe("RED")
  })

  it("an override stops applying once the position changes; the stale resolution does too", () => {
    const s = effectiveStatus(resolutionFor(current), override("GREEN", "2025-01-02T10:00:00Z"), changed)
    expect(s).toMatchObject({
      status: "unaudited",
      verdict: null,
      source: "none",
      staleOverride: true,
      staleResolution: true
    })
  })

  it("after a change, a fresh resolution applies and the old override stays stale", () => {
    const s = effectiveStatus(resolutionFor(changed, "AMBER"), override("GREEN", "2025-01-02T10:00:00Z"), changed)
    expect(s).toMatchObject({ status: "amber", source: "resolution", staleOverride: true, staleResolution: false })
  })

  it("the newest override counts; an older one never revives", () => {
    const older = override("GREEN", "2025-01-01T10:00:00Z")
    const newer = override("AMBER", "2025-01-03T10:00:00Z")
    expect(effectiveStatus(undefined, [newer, older], current)).toMatchObject({ status: "amber", override: newer })
    // The newest was made on another version of the position: nothing applies, though the older matches.
    const newerOnOtherVersion = override("RED", "2025-01-04T10:00:00Z", positionFingerprint(changed))
    expect(effectiveStatus(resolutionFor(current, "AMBER"), [older, newerOnOtherVersion], current)).toMatchObject({
      status: "amber",
      source: "resolution",
      staleOverride: true
    })
  })

  it("is unaudited without resolution or override, and ignores records of other positions", () => {
    expect(effectiveStatus(undefined, undefined, current)).toMatchObject({ status: "unaudited", source: "none" })
    const other = { ...override("GREEN", "2025-01-02T10:00:00Z"), positionKey: "p2" }
    expect(effectiveStatus(undefined, [other], current).status).toBe("unaudited")
    expect(latestOverride([other], "p1")).toBeUndefined()
  })

  it("carries needsReview from the resolution", () => {
    const r = resolvePosition("p1", [
      opinion("cost", "GREEN", 90, { positionFingerprint: fp }),
      opinion("validator", "RED", 85, { positionFingerprint: fp })
    ])
    expect(effectiveStatus(r, undefined, current)).toMatchObject({
      status: "amber",
      needsReview: true,
      confidence: null
    })
  })
})
