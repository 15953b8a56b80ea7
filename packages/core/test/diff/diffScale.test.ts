import { describe, expect, it } from "@effect/vitest"
import type { Position } from "../../src/contracts/Position.ts"
import { diffVersions } from "../../src/diff/diffVersions.ts"
import { position } from "../budget/positionFixtures.ts"

// Guards against accidental quadratic work: at 100k positions a quadratic stage would take minutes, not seconds.
describe("diffVersions at scale", () => {
  it("diffs two 100,000-position versions, all re-keyed and one in ten renumbered or reworded", () => {
    const descriptions = ["Beton základových pasů C 25/30", "Bednění stěn základových pasů", "Výztuž pasů B500B"]
    const before: Array<Position> = Array.from({ length: 100_000 }, (_, i) =>
      position({
        positionKey: `k${i}`,
        objectCode: `SO ${i % 50}`,
        sectionCode: `${i % 20}`,
        number: `${i}`,
        code: `${100_000 + (i % 5_000)}`,
        description: `${descriptions[i % 3]} ${i % 7}`,
        unit: "m3"
      })
    )
    const after = before.map((p, i): Position => {
      const rekeyed = { ...p, positionKey: `new${i}` }
      if (i % 20 === 0) return { ...rekeyed, number: `${i + 1_000_000}` }
      if (i % 20 === 10) return { ...rekeyed, number: `${i + 1_000_000}`, description: `${p.description} strojně` }
      return rekeyed
    })
    const started = performance.now()
    const diff = diffVersions(before, after)
    const elapsed = performance.now() - started
    expect(diff.added.length + diff.removed.length).toBe(0)
    expect(diff.moved).toHaveLength(10_000)
    expect(diff.moved.filter((m) => m.matchedBy === "fuzzy")).toHaveLength(5_000)
    expect(diff.unchangedCount).toBe(90_000)
    console.log(`diffVersions 100k: ${elapsed.toFixed(0)} ms`)
    expect(elapsed).toBeLessThan(20_000)
  })
})
