import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import {
  exposureClasses,
  findExposureClasses,
  findStrengthClasses,
  isValidExposureClass,
  isValidStrengthClass,
  lightweightStrengthClasses,
  nearestStrengthClasses,
  strengthClasses
} from "../../src/audit/concreteClasses.ts"
import { concreteExpert, isConcreteVolume } from "../../src/audit/concreteExpert.ts"
import type { Position } from "../../src/contracts/Position.ts"
import { pos } from "./fixtures/positions.ts"

const run = (positions: ReadonlyArray<Position>) => Effect.runSync(concreteExpert.run(positions, {}))
const byKey = (positions: ReadonlyArray<Position>, key: string) => run(positions).find((o) => o.positionKey === key)

const concrete = (description: string, extra: Partial<Parameters<typeof pos>[0]> = {}) =>
  pos({
    positionKey: "c",
    code: "274313611",
    unit: "m3",
    description,
    quantity: "5",
    unitPrice: "3000",
    total: "15000",
    ...extra
  })
const formwork = pos({
  positionKey: "f",
  code: "274351121",
  unit: "m2",
  description: "Bednění základových pasů zřízení"
})
const rebar = pos({
  positionKey: "r",
  code: "274361821",
  unit: "t",
  description: "Výztuž základových pasů z betonářské oceli 10 505"
})

describe("concrete classes (EN 206)", () => {
  it("knows the listed strength classes and rejects near misses", () => {
    for (const c of ["C8/10", "C30/37", "C100/115", "LC25/28"]) expect(isValidStrengthClass(c)).toBe(true)
    for (const c of ["C31/37", "C30/35", "C105/115", "LC25/30"]) expect(isValidStrengthClass(c)).toBe(false)
    expect(strengthClasses).toHaveLength(16)
    expect(lightweightStrengthClasses).toHaveLength(14)
  })

  it("knows the exposure classes and rejects others", () => {
    for (const c of ["X0", "XC1", "XC4", "XD3", "XS3", "XF4", "XA3", "XM1"]) expect(isValidExposureClass(c)).toBe(true)
    for (const c of ["XC5", "XD4", "XS0", "XF5", "XA4", "XB1"]) expect(isValidExposureClass(c)).toBe(false)
    expect(exposureClasses).toContain("X0")
  })

  it("finds classes as Czech budgets write them", () => {
    expect(findStrengthClasses("Základové pasy z betonu tř. C 16/20")).toEqual(["C16/20"])
    expect(findStrengthClasses("beton C30/37-XF4, LC 25/28, DC 12/24 V")).toEqual(["C30/37", "LC25/28"])
    expect(findExposureClasses("C30/37 - XC4, XF4, XD3 a XC4")).toEqual(["XC4", "XF4", "XD3"])
    expect(findExposureClasses("tvárnice XELLA, XPS 30, XPS100")).toEqual([])
    expect(nearestStrengthClasses("C31/37")).toEqual(["C30/37"])
  })
})

describe("concreteExpert", () => {
  it("is GREEN for a valid class with formwork and reinforcement in the object", () => {
    const o = byKey([concrete("Základové pasy z betonu tř. C 30/37 - XC2, XF1"), formwork, rebar], "c")!
    expect(o.verdict).toBe("GREEN")
    expect(o.role).toBe("concrete")
    expect(o.evidence.strengthClasses).toBe("C30/37")
    expect(o.evidence.formworkInObject).toBe("f")
    expect(o.evidence.reinforcementInObject).toBe("r")
  })

  it("is RED for a strength class not in EN 206, suggesting the nearest", () => {
    const o = byKey([concrete("Základové pasy z betonu C31/37"), formwork], "c")!
    expect(o.verdict).toBe("RED")
    expect(o.confidence).toBe(90)
    expect(o.issues.map((i) => i.type)).toEqual(["invalid-strength-class", "no-reinforcement-position"])
    expect(o.issues[0]!.suggestion).toContain("C30/37")
  })

  it("is RED for an exposure class not in EN 206", () => {
    const o = byKey([concrete("Pilíře z betonu C30/37 - XC5, XF4"), formwork, rebar], "c")!
    expect(o.verdict).toBe("RED")
    expect(o.issues.map((i) => i.type)).toEqual(["invalid-exposure-class"])
    expect(o.issues[0]!.description).toContain("XC5")
  })

  it("flags concrete volume AMBER when its object has neither formwork nor reinforcement", () => {
    const other = { ...formwork, objectCode: "SO 2" }
    const o = byKey([concrete("Základové pasy z betonu tř. C 16/20"), other], "c")!
    expect(o.verdict).toBe("AMBER")
    expect(o.issues.map((i) => i.type)).toEqual(["concrete-without-formwork-or-reinforcement"])
    expect(o.evidence.formworkInObject).toBe("none")
  })

  it("accepts either formwork or reinforcement, noting the missing one", () => {
    const o = byKey([concrete("Základové pasy z betonu tř. C 16/20"), rebar], "c")!
    expect(o.verdict).toBe("GREEN")
    expect(o.issues.map((i) => [i.type, i.severity])).toEqual([["no-formwork-position", "info"]])
  })

  it("does not count 'bez výztuže' as reinforcement", () => {
    const o = byKey([concrete("Sloupy nebo pilíře ze ŽB tř. C 20/25 bez výztuže")], "c")!
    expect(o.verdict).toBe("AMBER")
  })

  it("does not treat demolition or precast items in m3 as concrete to be formed", () => {
    expect(isConcreteVolume(concrete("Bourání základů z betonu prostého"))).toBe(false)
    expect(isConcreteVolume(concrete("Schodišťové stupně z dílců železobetonových"))).toBe(false)
    expect(isConcreteVolume(concrete("ASFALTOVÝ BETON PRO PODKLADNÍ VRSTVY ACP 22+"))).toBe(false)
    expect(isConcreteVolume(concrete("Základy ze železobetonu do C30/37"))).toBe(true)
    expect(isConcreteVolume(concrete("Základy ze železobetonu do C30/37", { unit: "m2" }))).toBe(false)
  })

  it("stays silent on positions with nothing concrete to check", () => {
    expect(run([pos({ description: "Sejmutí ornice", unit: "m2" })])).toEqual([])
    expect(run([pos({ description: "Izolace XPS 100 mm, kotvy XB2", unit: "m2" })])).toEqual([])
  })

  it("reads the note as well as the description", () => {
    const o = byKey(
      [concrete("Piloty ze železobetonu", { note: "piloty z betonu C25/30 - XC2, XA4" }), formwork, rebar],
      "c"
    )!
    expect(o.verdict).toBe("RED")
    expect(o.issues[0]!.description).toContain("XA4")
  })
})
