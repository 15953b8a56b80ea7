// isExpertOpinion must answer exactly as Schema.is(ExpertOpinion), fast path or not; and the built-in experts, whose
// opinions auditPositions does not re-check, must only ever produce valid opinions.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import fc from "fast-check"
import { fixturesAvailable, requireFixture } from "../../../../test/support/fixtures.ts"
import { builtinExperts } from "../../src/audit/builtinExperts.ts"
import { isBuiltIn, makeRuleExpert } from "../../src/audit/Expert.ts"
import { isExpertOpinion } from "../../src/audit/isExpertOpinion.ts"
import { loadTskp } from "../../src/audit/loadTskp.ts"
import { ExpertOpinion } from "../../src/contracts/ExpertOpinion.ts"
import { parseBudget } from "../../src/import/parseBudget.ts"
import { budgetArb } from "../diff/budgetArbitraries.ts"
import { opinion } from "./fixtures/positions.ts"

const schemaIs = Schema.is(ExpertOpinion)

/** Opinions with one field replaced by something else — valid, invalid or exotic. */
const mutatedArb = fc
  .tuple(
    fc.constantFrom(...Object.keys(opinion("cost", "GREEN", 50))),
    fc.oneof(
      fc.constantFrom(
        undefined,
        null,
        "",
        "x",
        "GREEN",
        "RED",
        "cost",
        "nope",
        0,
        50,
        100,
        101,
        -1,
        50.5,
        Number.NaN,
        [],
        ["cost"],
        ["nope"],
        [1],
        {},
        { a: "b" },
        { a: 1 },
        [{ type: "t", severity: "error", description: "d", suggestion: "s" }],
        [{ type: "t", severity: "fatal", description: "d", suggestion: "s" }],
        new Date(0),
        Object.create({ inherited: 1 })
      ),
      fc.anything()
    )
  )
  .map(([field, value]) => ({ ...opinion("cost", "GREEN", 50), [field]: value }))

describe("isExpertOpinion", () => {
  it("agrees with Schema.is(ExpertOpinion) on valid, broken and exotic values", () => {
    fc.assert(
      fc.property(fc.oneof(mutatedArb, fc.anything()), (value) => {
        expect(isExpertOpinion(value)).toBe(schemaIs(value))
      }),
      { numRuns: 3000 }
    )
    const sparse = opinion("cost", "GREEN", 50, { issues: new Array(2) })
    expect(isExpertOpinion(sparse)).toBe(schemaIs(sparse))
    const hidden = { ...opinion("cost", "GREEN", 50), evidence: Object.defineProperty({}, "x", { value: 1 }) }
    expect(isExpertOpinion(hidden)).toBe(schemaIs(hidden))
  })
})

describe("built-in experts", () => {
  it("are the only experts whose opinions auditPositions trusts without a check", () => {
    expect(builtinExperts.every(isBuiltIn)).toBe(true)
    expect(isBuiltIn(makeRuleExpert("cost", "custom", () => []))).toBe(false)
  })

  it("give only valid opinions on generated budgets", () =>
    fc.assert(
      fc.property(budgetArb(), (positions) => {
        for (const expert of builtinExperts)
          for (const o of Effect.runSync(expert.run(positions, {}))) expect(schemaIs(o)).toBe(true)
      }),
      { numRuns: 100 }
    ))

  const files = ["boq/rd-valcha.unixml.xml", "boq/rd-valcha.xlsx", "boq/kfely-bridge.unixml.xml", "boq/tremosna.xlsx"]
  it.skipIf(!fixturesAvailable("catalog/tskp-tridnik.xml", ...files))(
    "give only valid opinions on the real budgets",
    () => {
      const tskp = Effect.runSync(loadTskp(requireFixture("catalog/tskp-tridnik.xml")))
      for (const file of files) {
        const budget = Effect.runSync(parseBudget(requireFixture(file)))
        for (const expert of builtinExperts) {
          const opinions = Effect.runSync(expert.run(budget.positions, { tskp, rounding: budget.settings.rounding }))
          for (const o of opinions) expect(schemaIs(o), `${file} ${expert.name} ${o.positionKey}`).toBe(true)
        }
      }
    }
  )
})
