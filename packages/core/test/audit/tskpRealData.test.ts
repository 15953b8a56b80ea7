// The real TSKP catalogue and real budget codes from the shared fixtures directory (skipped, loudly, when absent).
import { Effect, Option } from "effect"
import { describe, expect, it } from "vitest"
import { fixturesAvailable, fixturesDir, requireFixture } from "../../../../test/support/fixtures.ts"
import { loadTskp } from "../../src/audit/loadTskp.ts"
import type { TskpClassifier } from "../../src/audit/TskpClassifier.ts"
import { checkTskpCode } from "../../src/audit/TskpClassifier.ts"
import { parseBudget } from "../../src/import/parseBudget.ts"

const CATALOGUE = "catalog/tskp-tridnik.xml"
const present = fixturesAvailable(CATALOGUE)
const hasBudget = (relative: string): boolean => present && fixturesAvailable(relative)

/** (record type, code) of every position of a real budget; K = work, M = material. */
const budgetCodes = (relative: string): ReadonlyArray<{ readonly type: string; readonly code: string }> =>
  Effect.runSync(parseBudget(requireFixture(relative))).positions.map((p) => ({
    type: p.kind === "material" ? "M" : "K",
    code: p.code
  }))

const share = (tskp: TskpClassifier, codes: ReadonlyArray<{ readonly code: string }>, minLength?: number) =>
  codes.filter((c) => checkTskpCode(tskp, c.code, minLength)._tag === "Classified").length / codes.length

const percent = (x: number) => `${(x * 100).toFixed(1)}%`

describe.skipIf(!present)(`real TSKP catalogue (${fixturesDir}/${CATALOGUE})`, () => {
  const tskp = present ? Effect.runSync(loadTskp(requireFixture(CATALOGUE))) : undefined!

  it("loads all 11,991 classes of the 2025-01 edition with names and parents", () => {
    expect(tskp.size).toBe(11991)
    expect(tskp.edition).toBe("2025-01 v1")
    expect(Option.getOrThrow(tskp.get("12115"))).toEqual({
      id: "12115",
      name: "Sejmutí ornice a lesní půdy horniny třídy těžitelnosti I, skupiny 1-2 strojně",
      parentId: "1211"
    })
    expect(Option.getOrThrow(tskp.get("0")).parentId).toBeNull()
    for (const id of ["0", "1", "9"]) expect(Option.isSome(tskp.get(id))).toBe(true)
  })

  it("classifies real ÚRS and OTSKP codes and rejects others", () => {
    expect(checkTskpCode(tskp, "121151113")).toMatchObject({ _tag: "Classified", item: { id: "12115" } })
    expect(checkTskpCode(tskp, "R317121224.XELLA")).toMatchObject({ _tag: "Classified", item: { id: "31712" } })
    expect(checkTskpCode(tskp, "014102")).toMatchObject({ _tag: "Classified", item: { id: "01" } })
    expect(checkTskpCode(tskp, "55350281")._tag).toBe("Unclassified")
    expect(checkTskpCode(tskp, "60514114")._tag).toBe("Unclassified")
    expect(checkTskpCode(tskp, "ZS")._tag).toBe("NoDigits")
  })

  it.skipIf(!hasBudget("boq/rd-valcha.unixml.xml"))("most codes of rd-valcha.unixml.xml are TSKP codes", () => {
    const codes = budgetCodes("boq/rd-valcha.unixml.xml")
    const work = codes.filter((c) => c.type === "K")
    expect(codes).toHaveLength(298)
    expect(work).toHaveLength(219)
    const all = share(tskp, codes)
    const works = share(tskp, work)
    const works3 = share(tskp, work, 3)
    console.info(
      `rd-valcha: ${percent(works)} of ${work.length} work codes classified (${percent(works3)} at >= 3 digits); ` +
        `${percent(all)} of all ${codes.length} codes incl. KSM material codes`
    )
    expect(works).toBeGreaterThanOrEqual(0.97)
    expect(all).toBeGreaterThanOrEqual(0.8)
  })

  it.skipIf(!hasBudget("boq/kfely-bridge.unixml.xml"))(
    "most OTSKP codes of kfely-bridge.unixml.xml match at group level",
    () => {
      const codes = budgetCodes("boq/kfely-bridge.unixml.xml")
      expect(codes).toHaveLength(153)
      const two = share(tskp, codes)
      const three = share(tskp, codes, 3)
      console.info(`kfely-bridge (OTSKP): ${percent(two)} classified at >= 2 digits, ${percent(three)} at >= 3`)
      expect(two).toBeGreaterThanOrEqual(0.95)
    }
  )
})
