import { describe, expect, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import { auditPositions } from "../../src/audit/auditPositions.ts"
import { builtinExperts } from "../../src/audit/builtinExperts.ts"
import { makeAuditPolicy } from "../../src/audit/defaultAuditPolicy.ts"
import type { Expert } from "../../src/audit/Expert.ts"
import { ExpertError, makeRuleExpert } from "../../src/audit/Expert.ts"
import { positionFingerprint } from "../../src/audit/positionFingerprint.ts"
import { makeTskpClassifier } from "../../src/audit/TskpClassifier.ts"
import { opinion, pos } from "./fixtures/positions.ts"

const tskp = makeTskpClassifier([
  { id: "1", name: "Zemní práce", parentId: null },
  { id: "12", name: "Odkopávky", parentId: "1" },
  { id: "121", name: "Sejmutí ornice", parentId: "12" },
  { id: "2", name: "Zakládání", parentId: null },
  { id: "27", name: "Základy", parentId: "2" },
  { id: "274", name: "Základy z betonu", parentId: "27" }
])

class PriceFirm extends Context.Service<PriceFirm, { readonly verdictFor: (code: string) => "GREEN" | "RED" }>()(
  "test/PriceFirm"
) {}

const good = pos({ positionKey: "good" })
const wrongTotal = pos({ positionKey: "wrong-total", number: "2", code: "121151114", total: "999.00" })
const badConcrete = pos({
  positionKey: "concrete",
  number: "3",
  code: "274313611",
  unit: "m3",
  description: "Základové pasy z betonu tř. C 31/37",
  quantity: "2",
  unitPrice: "3000",
  total: "6000"
})

describe("auditPositions with the built-in experts", () => {
  const result = Effect.runSync(auditPositions([good, wrongTotal, badConcrete], builtinExperts, { tskp }))

  it("returns one resolution per position, in input order", () => {
    expect(result.resolutions.map((r) => [r.positionKey, r.status, r.rule])).toEqual([
      ["good", "GREEN", "unanimous"],
      ["wrong-total", "RED", "veto"],
      ["concrete", "RED", "veto"]
    ])
    expect(result.failures).toEqual([])
  })

  it("stamps every opinion with the fingerprint of the position it judged", () => {
    const fp = new Map([good, wrongTotal, badConcrete].map((p) => [p.positionKey, positionFingerprint(p)]))
    for (const o of result.opinions) expect(o.positionFingerprint).toBe(fp.get(o.positionKey))
    expect(result.resolutions.every((r) => r.positionFingerprint === fp.get(r.positionKey))).toBe(true)
  })

  it("groups opinions by position in input order, then by role", () => {
    expect(result.opinions.filter((o) => o.positionKey === "good").map((o) => o.role)).toEqual([
      "cost",
      "standards",
      "validator"
    ])
    expect(result.opinions.filter((o) => o.positionKey === "concrete").map((o) => o.role)).toEqual([
      "concrete",
      "cost",
      "standards",
      "validator"
    ])
    expect(result.opinions.map((o) => o.positionKey)).toEqual(
      [...result.opinions.map((o) => o.positionKey)].sort(
        (a, b) => ["good", "wrong-total", "concrete"].indexOf(a) - ["good", "wrong-total", "concrete"].indexOf(b)
      )
    )
  })

  it("reports conflicts and marks them on the opinions", () => {
    // cost RED 95 against the GREEN 85/90 of standards and validator.
    const conflicts = result.conflicts.filter((c) => c.positionKey === "wrong-total")
    expect(conflicts.map((c) => [c.first.role, c.second.role, c.levels])).toEqual([
      ["cost", "standards", 2],
      ["cost", "validator", 2]
    ])
    const cost = result.opinions.find((o) => o.positionKey === "wrong-total" && o.role === "cost")!
    expect(cost.conflictsWith).toEqual(["standards", "validator"])
  })

  it("uses the policy given in the options", () => {
    const lenient = Effect.runSync(
      auditPositions([wrongTotal], builtinExperts, { tskp }, { policy: makeAuditPolicy({ vetoes: [] }) })
    )
    expect(lenient.resolutions[0]).toMatchObject({ status: "AMBER", rule: "needs-review", needsReview: true })
  })
})

describe("auditPositions with external experts", () => {
  it("keeps going when an expert fails, and reports the failure", () => {
    const broken: Expert = {
      role: "orchestrator",
      name: "llm.down",
      run: () =>
        Effect.fail(new ExpertError({ expert: "llm.down", role: "orchestrator", message: "503 from the model" }))
    }
    const result = Effect.runSync(auditPositions([good], [broken, ...builtinExperts], { tskp }))
    expect(result.failures).toEqual([{ expert: "llm.down", role: "orchestrator", reason: "503 from the model" }])
    expect(result.resolutions[0]!.status).toBe("GREEN")
  })

  it("drops opinions on unknown positions or with invalid values, overrides the fingerprint, and says so", () => {
    const sloppy = makeRuleExpert("orchestrator", "llm.sloppy", () => [
      opinion("orchestrator", "AMBER", 90, {
        positionKey: "good",
        expert: "llm.sloppy",
        positionFingerprint: "made-up"
      }),
      opinion("orchestrator", "RED", 90, { positionKey: "ghost", expert: "llm.sloppy" }),
      opinion("orchestrator", "RED", 150, { positionKey: "good", expert: "llm.sloppy" })
    ])
    const result = Effect.runSync(auditPositions([good], [sloppy, ...builtinExperts], { tskp }))
    expect(result.failures.map((f) => f.reason)).toEqual([
      "1 opinion(s) for positions not in the audit were dropped",
      "1 opinion(s) that are not valid ExpertOpinion values (e.g. confidence outside 0–100) were dropped"
    ])
    const orchestrator = result.opinions.filter((o) => o.role === "orchestrator")
    expect(orchestrator).toHaveLength(1)
    expect(orchestrator[0]!.positionFingerprint).toBe(positionFingerprint(good))
    // The orchestrator decides after vetoes (none fire here).
    expect(result.resolutions[0]).toMatchObject({ status: "AMBER", rule: "orchestrator" })
  })

  it.effect("runs effectful experts that need services (R flows into the audit's requirements)", () =>
    Effect.gen(function* () {
      const firm: Expert<PriceFirm> = {
        role: "cost",
        name: "firm.cost",
        run: (positions) =>
          Effect.gen(function* () {
            const { verdictFor } = yield* PriceFirm
            yield* Effect.yieldNow
            return positions.map((p) =>
              opinion("cost", verdictFor(p.code), 95, { positionKey: p.positionKey, expert: "firm.cost" })
            )
          })
      }
      const result = yield* auditPositions([good, wrongTotal], [firm, ...builtinExperts], { tskp }).pipe(
        Effect.provideService(PriceFirm, { verdictFor: (code) => (code === "121151113" ? "GREEN" : "RED") })
      )
      expect(result.opinions.filter((o) => o.expert === "firm.cost").map((o) => o.verdict)).toEqual(["GREEN", "RED"])
      expect(result.resolutions.map((r) => r.status)).toEqual(["GREEN", "RED"])
    })
  )

  it("gives AMBER + needs review to a position no expert judged", () => {
    const result = Effect.runSync(auditPositions([good], [], {}))
    expect(result.resolutions).toEqual([
      expect.objectContaining({ positionKey: "good", status: "AMBER", rule: "no-opinions", needsReview: true })
    ])
  })
})
