import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { validatorExpert } from "../../src/audit/validatorExpert.ts"
import type { Position } from "../../src/contracts/Position.ts"
import { pos } from "./fixtures/positions.ts"

const run = (positions: ReadonlyArray<Position>) => Effect.runSync(validatorExpert.run(positions, {}))
const types = (p: Position) => run([p])[0]!.issues.map((i) => i.type)

describe("validatorExpert", () => {
  it("is GREEN for a complete position", () => {
    const [o] = run([pos()])
    expect(o!.verdict).toBe("GREEN")
    expect(o!.role).toBe("validator")
    expect(o!.confidence).toBe(90)
  })

  it("flags a missing description or unit RED and a missing code AMBER", () => {
    expect(types(pos({ description: "  " }))).toEqual(["missing-description"])
    expect(run([pos({ unit: "" })])[0]!.verdict).toBe("RED")
    const noCode = run([pos({ code: "" })])[0]!
    expect(noCode.verdict).toBe("AMBER")
    expect(noCode.issues.map((i) => i.type)).toEqual(["missing-code"])
  })

  it("flags a negative quantity RED", () => {
    const o = run([pos({ quantity: "-2.5", total: "-72.75" })])[0]!
    expect(o.verdict).toBe("RED")
    expect(o.issues.map((i) => i.type)).toEqual(["negative-quantity"])
    expect(types(pos({ quantity: "0" }))).toEqual([])
  })

  it("flags the same item twice in one section, on both positions", () => {
    const a = pos({ positionKey: "a", number: "1" })
    const b = pos({
      positionKey: "b",
      number: "2",
      description: "  SEJMUTÍ ornice plochy do 500 m2 v tl do 200 mm  strojně",
      unit: "M2"
    })
    const out = run([a, b])
    expect(out.map((o) => o.verdict)).toEqual(["AMBER", "AMBER"])
    expect(out[0]!.issues.map((i) => i.type)).toEqual(["duplicate-position"])
    expect(out[0]!.evidence.duplicates).toBe("b")
    expect(out[1]!.evidence.duplicates).toBe("a")
  })

  it("does not call the same item in another section or object a duplicate", () => {
    const a = pos({ positionKey: "a", number: "1" })
    expect(run([a, pos({ positionKey: "b", number: "2", sectionCode: "2" })]).map((o) => o.verdict)).toEqual([
      "GREEN",
      "GREEN"
    ])
    expect(run([a, pos({ positionKey: "b", objectCode: "SO 2" })]).map((o) => o.verdict)).toEqual(["GREEN", "GREEN"])
  })

  it("does not call one item with notes that tell the cases apart a duplicate", () => {
    const fee = { code: "014102", unit: "t", description: "POPLATKY ZA SKLÁDKU" }
    const out = run([
      pos({ positionKey: "a", number: "1", ...fee, note: "zemina (2,0 t/m3)" }),
      pos({ positionKey: "b", number: "2", ...fee, note: "ŽB konstrukce (2,5 t/m3)" }),
      pos({ positionKey: "c", number: "3", ...fee, note: "ŽB  konstrukce (2,5 t/m3) " })
    ])
    expect(out.map((o) => o.verdict)).toEqual(["GREEN", "AMBER", "AMBER"])
  })

  it("flags a position number used twice in one object", () => {
    const out = run([
      pos({ positionKey: "a" }),
      pos({ positionKey: "b", sectionCode: "2", code: "132151253", description: "Hloubení rýh" })
    ])
    expect(out[1]!.issues.map((i) => i.type)).toEqual(["duplicate-number"])
    expect(out[1]!.evidence.sameNumber).toBe("a")
  })
})
