import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { canonicalDecimal, isStale, positionFingerprint } from "../../src/audit/positionFingerprint.ts"
import * as Money from "../../src/budget/Money.ts"
import { pos } from "./fixtures/positions.ts"

describe("positionFingerprint", () => {
  it("is a versioned 64-bit hex string, the same for the same content", () => {
    const fp = positionFingerprint(pos())
    expect(fp).toMatch(/^fp1:[0-9a-f]{16}$/)
    expect(positionFingerprint(pos())).toBe(fp)
  })

  it("changes when a judged field changes", () => {
    const base = positionFingerprint(pos())
    const changed = [
      pos({ objectCode: "SO 2" }),
      pos({ sectionCode: "2" }),
      pos({ number: "2" }),
      pos({ code: "121151114" }),
      pos({ catalog: "OTSKP" }),
      pos({ description: "Sejmutí ornice" }),
      pos({ unit: "m3" }),
      pos({ quantity: "10.001" }),
      pos({ unitPrice: "29.11" }),
      pos({ total: "291.01" }),
      pos({ takeoff: [{ text: "10", quantity: "10" }] }),
      pos({ note: "pozor" }),
      pos({ kind: "material" })
    ]
    for (const p of changed) expect(positionFingerprint(p)).not.toBe(base)
  })

  it("ignores identity, provenance, status and decimal formatting", () => {
    const base = positionFingerprint(pos())
    expect(positionFingerprint(pos({ positionKey: "other", objectName: "Garáž", source: "chat" }))).toBe(base)
    expect(positionFingerprint(pos({ status: "red", confidence: 90 }))).toBe(base)
    expect(positionFingerprint(pos({ quantity: "10", unitPrice: "29.1", total: "291" }))).toBe(base)
  })

  it("does not confuse fields when text moves between them", () => {
    expect(positionFingerprint(pos({ description: "ab", note: "" }))).not.toBe(
      positionFingerprint(pos({ description: "a", note: "b" }))
    )
  })

  it("distinguishes distinct descriptions (no collisions in a sample)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { minLength: 2, maxLength: 50 }), (descriptions) => {
        const fps = new Set(descriptions.map((description) => positionFingerprint(pos({ description }))))
        expect(fps.size).toBe(descriptions.length)
      })
    )
  })

  it("isStale compares the recorded fingerprint with the current position", () => {
    const judged = { positionFingerprint: positionFingerprint(pos()) }
    expect(isStale(judged, pos())).toBe(false)
    expect(isStale(judged, pos({ quantity: "11" }))).toBe(true)
  })
})

// Computed with the recipe as first released (Money.parse/formatAtLeast and Array.join), before it was rewritten
// for speed: the rewrite must give the same fingerprints.
const PINNED = "fp1:8ac961a7b7650032"
const PINNED_WITH_TAKEOFF = "fp1:bc2c3e3d9f39bb6b"

describe("positionFingerprint recipe", () => {
  it("canonicalDecimal equals Money.formatAtLeast(Money.parse(text)), and keeps non-decimals as written", () => {
    const decimalLike = fc
      .tuple(
        fc.constantFrom("", "-", "+"),
        fc.stringMatching(/^[0-9]{0,6}$/),
        fc.constantFrom("", ".", ","),
        fc.stringMatching(/^[0-9]{0,6}$/),
        fc.constantFrom("", " ", "e3")
      )
      .map((parts) => parts.join(""))
    fc.assert(
      fc.property(fc.oneof(decimalLike, fc.string()), (text) => {
        const m = Money.parse(text)
        expect(canonicalDecimal(text)).toBe(m === undefined ? text : Money.formatAtLeast(m))
      }),
      { numRuns: 2000 }
    )
  })

  it("is pinned: stored fingerprints stay valid across releases", () => {
    // A change here makes every stored verdict and override stale; bump the "fp1:" prefix instead.
    expect(positionFingerprint(pos())).toBe(PINNED)
    expect(
      positionFingerprint(
        pos({
          quantity: "010.500",
          takeoff: [
            { text: "2*5,25", quantity: "10.50" },
            { text: "x", quantity: null }
          ]
        })
      )
    ).toBe(PINNED_WITH_TAKEOFF)
  })
})
