// The built-in experts on the real budgets (skipped, loudly, when the fixtures are absent). The spread they give is
// pinned here and printed, so a change to an expert that moves it shows up as a reviewed diff, not by surprise:
// - rd-valcha (priced family house, UNIXML and XLSX): every position GREEN — quantity × price matches, codes are TSKP
//   classes, KROS's coefficient take-off lines ("Přepočtené koeficientem") are read as the quantity, and no code is
//   measured in two units within the budget.
// - kfely-bridge (blank OTSKP tender): every position AMBER, because every unit price is zero.
// - tremosna (blank ÚRS tender): AMBER for the missing prices, plus 2 RED — a position without a unit and the
//   exposure class "XO1" (a typo of X0) — and AMBER findings for duplicates and codes outside TSKP. Its code 870100
//   is measured once in "ks" and once in "lus" (a typo of "kus"): a tie, so the budget's own units flag neither.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { fixturesAvailable, fixturesDir, requireFixture } from "../../../../test/support/fixtures.ts"
import { auditPositions } from "../../src/audit/auditPositions.ts"
import { builtinExperts } from "../../src/audit/builtinExperts.ts"
import { loadTskp } from "../../src/audit/loadTskp.ts"
import { parseBudget } from "../../src/import/parseBudget.ts"

const files = ["boq/rd-valcha.unixml.xml", "boq/rd-valcha.xlsx", "boq/kfely-bridge.unixml.xml", "boq/tremosna.xlsx"]
const real = fixturesAvailable("catalog/tskp-tridnik.xml", ...files)

const tally = (values: ReadonlyArray<string>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const v of [...values].sort()) out[v] = (out[v] ?? 0) + 1
  return out
}

const audit = (file: string) => {
  const tskp = Effect.runSync(loadTskp(requireFixture("catalog/tskp-tridnik.xml")))
  const budget = Effect.runSync(parseBudget(requireFixture(file)))
  const result = Effect.runSync(
    auditPositions(budget.positions, builtinExperts, { tskp, rounding: budget.settings.rounding })
  )
  const spread = {
    positions: budget.positions.length,
    status: tally(result.resolutions.map((r) => r.status)),
    needsReview: result.resolutions.filter((r) => r.needsReview).length,
    issues: tally(result.opinions.flatMap((o) => o.issues.filter((i) => i.severity !== "info").map((i) => i.type)))
  }
  console.log(`audit spread of ${file}: ${JSON.stringify(spread)}`)
  expect(result.failures).toEqual([])
  expect(result.resolutions).toHaveLength(budget.positions.length)
  return { budget, result, spread }
}

describe.skipIf(!real)(`built-in audit on the real budgets (${fixturesDir})`, () => {
  it("rd-valcha: all GREEN in both formats, with the same verdicts position by position", () => {
    const unixml = audit("boq/rd-valcha.unixml.xml")
    const xlsx = audit("boq/rd-valcha.xlsx")
    expect(unixml.spread).toEqual({ positions: 298, status: { GREEN: 298 }, needsReview: 0, issues: {} })
    expect(xlsx.spread).toEqual(unixml.spread)
    const verdicts = (r: typeof unixml.result) => r.resolutions.map((x) => [x.positionKey, x.status, x.rule])
    expect(verdicts(xlsx.result)).toEqual(verdicts(unixml.result))
    // Take-off lines carry values in both formats (UNIXML's computed from the expressions), so the structural expert
    // judges the same positions in both and agrees.
    const structural = (r: typeof unixml.result) =>
      r.opinions.filter((o) => o.role === "structural").map((o) => [o.positionKey, o.verdict])
    expect(structural(xlsx.result).length).toBeGreaterThan(140)
    expect(structural(unixml.result)).toEqual(structural(xlsx.result))
  })

  it("kfely-bridge: every position AMBER for its zero unit price, nothing RED", () => {
    const { spread } = audit("boq/kfely-bridge.unixml.xml")
    expect(spread).toMatchObject({ positions: 153, status: { AMBER: 153 }, needsReview: 0 })
    expect(spread.issues["zero-price"]).toBe(153)
  })

  it("tremosna: AMBER for the missing prices, RED only for the missing unit and the invalid exposure class", () => {
    const { budget, result, spread } = audit("boq/tremosna.xlsx")
    expect(spread.status).toEqual({ AMBER: 873, RED: 2 })
    expect(spread.issues).toMatchObject({
      "zero-price": 875,
      "missing-unit": 1,
      "invalid-exposure-class": 1,
      "duplicate-position": 16
    })
    const red = result.resolutions.filter((r) => r.status === "RED").map((r) => r.positionKey)
    const reasons = result.opinions.filter((o) => red.includes(o.positionKey) && o.verdict === "RED")
    expect(reasons.map((o) => o.reasoning).sort()).toEqual([
      "The position has no unit.",
      "XO1 is not an exposure class of EN 206."
    ])
    expect(budget.positions.filter((p) => red.includes(p.positionKey)).map((p) => p.unit)).toContain("")
  })
})
