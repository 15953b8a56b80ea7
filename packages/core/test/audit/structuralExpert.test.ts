import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { structuralExpert } from "../../src/audit/structuralExpert.ts"
import type { Position } from "../../src/contracts/Position.ts"
import { pos } from "./fixtures/positions.ts"

const run = (positions: ReadonlyArray<Position>) => Effect.runSync(structuralExpert.run(positions, {}))

describe("structuralExpert", () => {
  it("is GREEN when the take-off lines add up to the quantity", () => {
    const [o] = run([
      pos({
        quantity: "123.00",
        takeoff: [
          { text: "(14+1)*(7,2+1)", quantity: "123" },
          { text: "Součet", quantity: "123" }
        ]
      })
    ])
    expect(o!.verdict).toBe("GREEN")
    expect(o!.role).toBe("structural")
    expect(o!.evidence.takeoffSum).toBe("123")
  })

  it("allows the rounding of each line and of the quantity", () => {
    // "ornice" 100,8*0,2 + "výkopek" 68,160*0,33 = 42.6528, quantity rounded to 42.653.
    const takeoff = [
      { text: '"ornice" 100,8*0,2', quantity: "20.16" },
      { text: '"výkopek 1/3 množství" 68,160*0,33', quantity: "22.4928" }
    ]
    expect(run([pos({ quantity: "42.653", takeoff })])[0]!.verdict).toBe("GREEN")
  })

  it("is RED when the lines do not add up, with deductions counted", () => {
    const [o] = run([
      pos({
        quantity: "10.000",
        takeoff: [
          { text: "4*3", quantity: "12" },
          { text: "odpočet -1*1", quantity: "-1" }
        ]
      })
    ])
    expect(o!.verdict).toBe("RED")
    expect(o!.issues.map((i) => i.type)).toEqual(["takeoff-mismatch"])
    expect(o!.issues[0]!.suggestion).toContain("11")
  })

  it("is only AMBER when lines without a value may explain the gap", () => {
    const [o] = run([
      pos({
        quantity: "10",
        takeoff: [
          { text: "4*2", quantity: "8" },
          { text: "viz výkres", quantity: null }
        ]
      })
    ])
    expect(o!.verdict).toBe("AMBER")
    expect(o!.issues.map((i) => i.type)).toEqual(["takeoff-incomplete"])
  })

  it("stays silent without take-off values", () => {
    expect(run([pos(), pos({ positionKey: "b", takeoff: [{ text: "poznámka", quantity: null }] })])).toEqual([])
  })

  it("takes a KROS coefficient line as the quantity, not as one more line to add", () => {
    // Real rows of rd-valcha.xlsx (SO 2, položka 46): 96.943 m2 measured, 1.1845 for waste → 114.829 m2.
    const takeoff = [
      { text: "96,943", quantity: "96.943" },
      { text: "96,943*1,1845 'Přepočtené koeficientem množství", quantity: "114.829" }
    ]
    const [ok] = run([pos({ quantity: "114.829", takeoff })])
    expect(ok!.verdict).toBe("GREEN")
    expect(ok!.evidence.takeoffSum).toBe("114.829")
    // The coefficient line must itself match the quantity.
    const [wrong] = run([pos({ quantity: "96.943", takeoff })])
    expect(wrong!.verdict).toBe("RED")
    expect(wrong!.issues[0]!.description).toContain("114.829")
  })
})
