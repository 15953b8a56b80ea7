import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { defaultAuditPolicy, makeAuditPolicy } from "../../src/audit/defaultAuditPolicy.ts"
import { resolveAudit, resolvePosition } from "../../src/audit/resolveAudit.ts"
import type { AuditPolicy } from "../../src/contracts/AuditPolicy.ts"
import type { ExpertOpinion, ExpertRole, Verdict } from "../../src/contracts/ExpertOpinion.ts"
import { opinion } from "./fixtures/positions.ts"

const resolve = (opinions: ReadonlyArray<ExpertOpinion>, policy: AuditPolicy = defaultAuditPolicy) =>
  resolvePosition("p1", opinions, policy)

const noVetoes = makeAuditPolicy({ vetoes: [] })

describe("resolveAudit rules", () => {
  it("veto: standards RED at >= 80 wins over everything, naming the rule and the dissent", () => {
    const r = resolve([
      opinion("standards", "RED", 85),
      opinion("cost", "GREEN", 95),
      opinion("validator", "GREEN", 95),
      opinion("orchestrator", "GREEN", 99)
    ])
    expect(r.status).toBe("RED")
    expect(r.rule).toBe("veto")
    expect(r.confidence).toBe(85)
    expect(r.rationale).toMatch(/^Veto: standards/)
    expect(r.decidedBy.map((d) => d.role)).toEqual(["standards"])
    expect(r.dissent.map((d) => d.role)).toEqual(
      ["cost", "standards", "validator", "orchestrator"].filter((x) => x !== "standards")
    )
    expect(r.needsReview).toBe(false)
  })

  it("veto does not fire below its confidence", () => {
    const r = resolve([opinion("standards", "RED", 79), opinion("cost", "GREEN", 60)])
    expect(r.rule).not.toBe("veto")
  })

  it("when several vetoes fire, the most severe verdict wins", () => {
    const policy = makeAuditPolicy({
      vetoes: [
        { role: "cost", verdict: "GREEN", minConfidence: 50 },
        { role: "validator", verdict: "AMBER", minConfidence: 50 }
      ]
    })
    const r = resolve([opinion("cost", "GREEN", 90), opinion("validator", "AMBER", 60)], policy)
    expect([r.rule, r.status]).toEqual(["veto", "AMBER"])
  })

  it("orchestrator decides when present (after vetoes), highest confidence first", () => {
    const r = resolve([
      opinion("cost", "RED", 60),
      opinion("orchestrator", "GREEN", 70),
      opinion("orchestrator", "AMBER", 80, { expert: "llm.second" })
    ])
    expect([r.rule, r.status, r.confidence]).toEqual(["orchestrator", "AMBER", 80])
    expect(r.rationale).toContain("llm.second")
    const off = resolve(
      [opinion("cost", "RED", 60), opinion("orchestrator", "GREEN", 70)],
      makeAuditPolicy({ orchestratorDecides: false })
    )
    expect(off.rule).not.toBe("orchestrator")
  })

  it("unanimous opinions decide with their mean confidence", () => {
    const r = resolve([opinion("cost", "AMBER", 60), opinion("validator", "AMBER", 71)])
    expect([r.rule, r.status, r.confidence, r.dissent]).toEqual(["unanimous", "AMBER", 66, []])
  })

  it("without a conflict the most severe verdict stands", () => {
    const r = resolve([opinion("cost", "GREEN", 90), opinion("standards", "AMBER", 65)])
    expect([r.rule, r.status, r.confidence]).toEqual(["most-severe", "AMBER", 65])
    expect(r.dissent).toEqual([{ role: "cost", expert: "test.cost", verdict: "GREEN", confidence: 90 }])
  })

  it("a conflict is won by weighted vote when one verdict reaches the decisive share", () => {
    const ops = [
      opinion("cost", "GREEN", 90),
      opinion("validator", "GREEN", 90),
      opinion("structural", "GREEN", 90),
      opinion("standards", "GREEN", 90),
      opinion("concrete", "RED", 40)
    ]
    const r = resolve(ops, noVetoes)
    expect([r.rule, r.status, r.confidence]).toEqual(["weighted-vote", "GREEN", 90])
    expect(r.rationale).toContain("GREEN 90%")
    expect(r.dissent.map((d) => d.role)).toEqual(["concrete"])
    // Role weights move the vote: concrete ×100 (4000 against 360) now outweighs the rest, and RED wins.
    const weighted = resolve(ops, makeAuditPolicy({ vetoes: [], roleWeights: { concrete: 100 } }))
    expect([weighted.rule, weighted.status]).toEqual(["weighted-vote", "RED"])
  })

  it("an undecided conflict is AMBER and needs review", () => {
    const r = resolve([opinion("cost", "GREEN", 90), opinion("validator", "RED", 85)], noVetoes)
    expect([r.rule, r.status, r.confidence, r.needsReview]).toEqual(["needs-review", "AMBER", null, true])
    expect(r.rationale).toContain("Needs review")
    expect(r.dissent.map((d) => d.verdict)).toEqual(["GREEN", "RED"])
  })

  it("the conflict threshold comes from the policy", () => {
    const ops = [opinion("cost", "GREEN", 75), opinion("validator", "AMBER", 75)]
    expect(resolve(ops).rule).toBe("needs-review")
    expect(resolve(ops, makeAuditPolicy({ conflictConfidence: 80 })).rule).toBe("most-severe")
  })

  it("opinions on different versions of the position are stale, not weighed", () => {
    const mixed = resolve([
      opinion("cost", "GREEN", 90),
      opinion("validator", "GREEN", 90, { positionFingerprint: "fp1:old" })
    ])
    expect([mixed.rule, mixed.status, mixed.needsReview, mixed.positionFingerprint]).toEqual([
      "stale",
      "AMBER",
      true,
      null
    ])
    const current = resolvePosition(
      "p1",
      [opinion("cost", "RED", 95), opinion("validator", "GREEN", 90, { positionFingerprint: "fp1:new" })],
      defaultAuditPolicy,
      "fp1:new"
    )
    expect([current.rule, current.status, current.opinionCount, current.staleOpinionCount]).toEqual([
      "unanimous",
      "GREEN",
      1,
      1
    ])
    const allStale = resolvePosition("p1", [opinion("cost", "RED", 95)], defaultAuditPolicy, "fp1:new")
    expect([allStale.rule, allStale.needsReview, allStale.positionFingerprint]).toEqual(["stale", true, "fp1:new"])
  })

  it("resolveAudit returns one resolution per position, sorted by key", () => {
    const out = resolveAudit([
      opinion("cost", "GREEN", 90, { positionKey: "b" }),
      opinion("cost", "RED", 95, { positionKey: "a" })
    ])
    expect(out.map((r) => [r.positionKey, r.status, r.rule])).toEqual([
      ["a", "RED", "veto"],
      ["b", "GREEN", "unanimous"]
    ])
    expect(resolvePosition("none", []).rule).toBe("no-opinions")
  })
})

const roles: ReadonlyArray<ExpertRole> = ["structural", "concrete", "cost", "standards", "validator", "orchestrator"]
const verdicts: ReadonlyArray<Verdict> = ["GREEN", "AMBER", "RED"]

const arbOpinion = (verdict: fc.Arbitrary<Verdict> = fc.constantFrom(...verdicts)) =>
  fc
    .record({
      role: fc.constantFrom(...roles),
      expert: fc.constantFrom("a", "b"),
      verdict,
      confidence: fc.integer({ min: 0, max: 100 })
    })
    .map((o) => opinion(o.role, o.verdict, o.confidence, { expert: o.expert }))

const arbPolicy: fc.Arbitrary<AuditPolicy> = fc.record({
  conflictConfidence: fc.integer({ min: 0, max: 100 }),
  roleWeights: fc.dictionary(fc.constantFrom(...roles), fc.integer({ min: 0, max: 5 })),
  vetoes: fc.array(
    fc.record({
      role: fc.constantFrom(...roles),
      verdict: fc.constantFrom(...verdicts),
      minConfidence: fc.integer({ min: 0, max: 100 })
    }),
    { maxLength: 3 }
  ),
  orchestratorDecides: fc.boolean(),
  decisiveShare: fc.double({ min: 0.01, max: 1, noNaN: true })
})

const level = (v: Verdict) => verdicts.indexOf(v)

describe("resolveAudit laws (property)", () => {
  it("is deterministic and independent of the order of opinions", () => {
    const arbOrders = fc
      .array(arbOpinion(), { minLength: 1, maxLength: 8 })
      .chain((ops) =>
        fc.tuple(fc.constant(ops), fc.shuffledSubarray(ops, { minLength: ops.length, maxLength: ops.length }))
      )
    fc.assert(
      fc.property(arbOrders, arbPolicy, ([ops, shuffled], policy) => {
        expect(resolve(shuffled, policy)).toEqual(resolve(ops, policy))
        expect(resolveAudit(shuffled, policy)).toEqual(resolveAudit(ops, policy))
      })
    )
  })

  it("GREEN-only opinions resolve GREEN under any policy", () => {
    fc.assert(
      fc.property(
        fc.array(arbOpinion(fc.constant("GREEN")), { minLength: 1, maxLength: 8 }),
        arbPolicy,
        (ops, policy) => {
          const r = resolve(ops, policy)
          expect(r.status).toBe("GREEN")
          expect(r.needsReview).toBe(false)
        }
      )
    )
  })

  it("a veto always wins: the status is the most severe verdict among fired vetoes", () => {
    // A policy with at least one veto that one of the opinions meets.
    const arbCase = fc.array(arbOpinion(), { minLength: 1, maxLength: 8 }).chain((ops) =>
      fc.tuple(
        fc.constant(ops),
        arbPolicy,
        fc
          .constantFrom(...ops)
          .chain((o) =>
            fc
              .integer({ min: 0, max: o.confidence })
              .map((minConfidence) => ({ role: o.role, verdict: o.verdict, minConfidence }))
          )
      )
    )
    fc.assert(
      fc.property(arbCase, ([ops, base, veto]) => {
        const policy = { ...base, vetoes: [...base.vetoes, veto] }
        const fired = ops.filter((o) =>
          policy.vetoes.some((v) => v.role === o.role && v.verdict === o.verdict && o.confidence >= v.minConfidence)
        )
        const r = resolve(ops, policy)
        expect(r.rule).toBe("veto")
        expect(level(r.status)).toBe(Math.max(...fired.map((o) => level(o.verdict))))
        expect(r.needsReview).toBe(false)
      })
    )
  })

  it("the status is always one of the opinions' verdicts, or AMBER with needsReview", () => {
    fc.assert(
      fc.property(fc.array(arbOpinion(), { minLength: 1, maxLength: 8 }), arbPolicy, (ops, policy) => {
        const r = resolve(ops, policy)
        if (r.needsReview) expect(r.status).toBe("AMBER")
        else expect(ops.map((o) => o.verdict)).toContain(r.status)
        expect(r.dissent.every((d) => d.verdict !== r.status)).toBe(true)
      })
    )
  })
})
