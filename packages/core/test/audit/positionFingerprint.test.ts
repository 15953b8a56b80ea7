import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { isStale, positionFingerprint } from "../../src/audit/positionFingerprint.ts"
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
