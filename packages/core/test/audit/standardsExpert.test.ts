import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { AuditContext } from "../../src/audit/AuditContext.ts"
import { budgetUnitsByCode, standardsExpert, usualUnitsFor } from "../../src/audit/standardsExpert.ts"
import { makeTskpClassifier } from "../../src/audit/TskpClassifier.ts"
import type { Position } from "../../src/contracts/Position.ts"
import { pos } from "./fixtures/positions.ts"

const tskp = makeTskpClassifier([
  { id: "1", name: "Zemní práce", parentId: null },
  { id: "12", name: "Odkopávky a prokopávky", parentId: "1" },
  { id: "121", name: "Sejmutí ornice", parentId: "12" },
  { id: "12115", name: "Sejmutí ornice strojně", parentId: "121" },
  { id: "0", name: "Vedlejší rozpočtové náklady", parentId: null },
  { id: "01", name: "Průzkumné práce", parentId: "0" },
  { id: "5", name: "Komunikace pozemní", parentId: null }
])

const run = (positions: ReadonlyArray<Position>, context: AuditContext) =>
  Effect.runSync(standardsExpert.run(positions, context))
const one = (p: Position, context: AuditContext = { tskp }) => run([p], context)[0]

describe("standardsExpert", () => {
  it("is GREEN for a code under a deep TSKP class, naming the class", () => {
    const o = one(pos({ code: "121151113" }))!
    expect(o.verdict).toBe("GREEN")
    expect(o.confidence).toBe(85)
    expect(o.evidence.tskpClass).toBe("12115 Sejmutí ornice strojně")
  })

  it("accepts a 2-digit group match (OTSKP) with lower confidence, and a custom R-item of a catalogue code", () => {
    const otskp = one(pos({ code: "014102", catalog: "OTSKP" }))!
    expect(otskp.verdict).toBe("GREEN")
    expect(otskp.confidence).toBe(75)
    expect(one(pos({ code: "R121151113.XY" }))!.verdict).toBe("GREEN")
  })

  it("flags a code that no TSKP class of at least 2 digits starts", () => {
    const o = one(pos({ code: "55350281" }))!
    expect(o.verdict).toBe("AMBER")
    expect(o.issues.map((i) => i.type)).toEqual(["code-not-in-tskp"])
    expect(o.evidence.tskpDeepestMatch).toBe("5 Komunikace pozemní")
    expect(one(pos({ code: "99" }))!.issues.map((i) => i.type)).toEqual(["code-not-in-tskp"])
  })

  it("respects a stricter minimum match length from the context", () => {
    expect(one(pos({ code: "014102" }), { tskp, tskpMinMatchLength: 3 })!.verdict).toBe("AMBER")
  })

  it("flags a code without catalogue digits as not classifiable", () => {
    expect(one(pos({ code: "ZS" }))!.issues.map((i) => i.type)).toEqual(["code-not-classifiable"])
    expect(one(pos({ code: "RMAT0002" }))!.verdict).toBe("AMBER")
  })

  it("does not judge material codes (KSM) against TSKP, nor empty codes", () => {
    expect(one(pos({ code: "55350281", kind: "material" }))).toBeUndefined()
    expect(one(pos({ code: "" }))).toBeUndefined()
  })

  it("stays silent without a classifier or usual units", () => {
    expect(one(pos(), {})).toBeUndefined()
  })

  it("flags a unit that is not the code's usual unit RED, by longest prefix and normalised units", () => {
    const usualUnits = new Map<string, string | ReadonlyArray<string>>([
      ["121", "m2"],
      ["12115", ["m2", "ha"]],
      ["27431", "m3"]
    ])
    const context: AuditContext = { usualUnits }
    expect(one(pos({ code: "121151113", unit: "m²" }), context)!.verdict).toBe("GREEN")
    expect(one(pos({ code: "121151113", unit: "HA" }), context)!.verdict).toBe("GREEN")
    const wrong = one(pos({ code: "274313611", unit: "m2" }), context)!
    expect(wrong.verdict).toBe("RED")
    expect(wrong.confidence).toBe(85)
    expect(wrong.issues.map((i) => i.type)).toEqual(["unit-mismatch"])
    expect(wrong.evidence.usualUnits).toBe("m3")
    // Material positions are judged on units too.
    expect(one(pos({ code: "274313611", unit: "t", kind: "material" }), context)!.verdict).toBe("RED")
    expect(one(pos({ code: "999", unit: "t" }), context)).toBeUndefined()
  })

  it("finds usual units by the longest prefix", () => {
    const map = new Map<string, string | ReadonlyArray<string>>([
      ["1", "m3"],
      ["121", "m2"]
    ])
    expect(usualUnitsFor("121151113", map)).toEqual(["m2"])
    expect(usualUnitsFor("131", map)).toEqual(["m3"])
    expect(usualUnitsFor("2", map)).toBeUndefined()
  })

  describe("the unit the same code carries elsewhere in the budget", () => {
    const at = (i: number, unit: string, code = "274313611") =>
      pos({ positionKey: `p${i}`, number: `${i}`, code, unit })

    it("flags a position whose unit differs from the one most positions with its code use, AMBER", () => {
      const positions = [at(1, "m3"), at(2, "M3"), at(3, "m³"), at(4, "m2"), at(5, "t", "999")]
      const opinions = run(positions, {})
      expect(opinions.map((o) => [o.positionKey, o.verdict])).toEqual([["p4", "AMBER"]])
      const [flagged] = opinions
      expect(flagged!.confidence).toBe(60)
      expect(flagged!.issues.map((i) => i.type)).toEqual(["unit-differs-in-budget"])
      expect(flagged!.evidence.budgetUnits).toBe("m3 ×3, m2 ×1")
      expect(flagged!.reasoning).toContain("3 of the 4 positions with code 274313611")
      expect(flagged!.issues[0]!.suggestion).toContain("m3")
    })

    it("compares units by meaning (kus = ks, bm = m) and says nothing on a tie or when all agree", () => {
      expect(run([at(1, "kus"), at(2, "ks"), at(3, "KS")], {})).toEqual([])
      expect(run([at(1, "m2"), at(2, "m3")], {})).toEqual([])
      expect(run([at(1, "m2"), at(2, "m2"), at(3, "m3"), at(4, "m3")], {})).toEqual([])
      expect(run([at(1, "bm"), at(2, "m"), at(3, "m2")], {}).map((o) => o.positionKey)).toEqual(["p3"])
    })

    it("ignores positions without a code or a unit, and leaves codes the caller's table covers to the table", () => {
      expect(run([at(1, "m3"), at(2, "m3"), at(3, ""), at(4, "m2", "")], {})).toEqual([])
      // The table says m2 for this code: its RED mismatch decides, the budget's majority (m3) is not consulted.
      const usualUnits = new Map([["2743", "m2"]])
      const opinions = run([at(1, "m3"), at(2, "m3"), at(3, "m2")], { usualUnits })
      expect(opinions.map((o) => [o.positionKey, o.verdict, o.issues.map((i) => i.type)])).toEqual([
        ["p1", "RED", ["unit-mismatch"]],
        ["p2", "RED", ["unit-mismatch"]],
        ["p3", "GREEN", []]
      ])
    })

    it("adds to the TSKP check of a work position rather than replacing it", () => {
      const positions = [at(1, "m2", "121151113"), at(2, "m2", "121151113"), at(3, "m3", "121151113")]
      const opinions = run(positions, { tskp })
      expect(opinions.map((o) => o.verdict)).toEqual(["GREEN", "GREEN", "AMBER"])
      expect(opinions[2]!.evidence).toEqual({ tskpClass: "12115 Sejmutí ornice strojně", budgetUnits: "m2 ×2, m3 ×1" })
      expect(opinions[0]!.evidence).toEqual({ tskpClass: "12115 Sejmutí ornice strojně" })
    })

    it("reports the units of each mixed code of a batch (budgetUnitsByCode)", () => {
      const units = budgetUnitsByCode([at(1, "m3"), at(2, "m2"), at(3, "m3"), at(4, "t", "5"), at(5, "t", "5")])
      expect([...units]).toEqual([
        [
          "274313611",
          {
            majority: "m3",
            counts: [
              ["m3", 2],
              ["m2", 1]
            ],
            total: 3
          }
        ]
      ])
    })
  })
})
