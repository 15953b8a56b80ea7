import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { AuditContext } from "../../src/audit/AuditContext.ts"
import { standardsExpert, usualUnitsFor } from "../../src/audit/standardsExpert.ts"
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
})
