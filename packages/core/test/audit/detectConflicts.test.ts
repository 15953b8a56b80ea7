import { describe, expect, it } from "vitest"
import { conflictLevels, detectConflicts } from "../../src/audit/detectConflicts.ts"
import { opinion } from "./fixtures/positions.ts"

describe("detectConflicts", () => {
  it("GREEN vs RED is a conflict at any confidence", () => {
    expect(conflictLevels(opinion("cost", "GREEN", 10), opinion("standards", "RED", 5), 70)).toBe(2)
  })

  it("one level apart conflicts only when both reach the threshold", () => {
    expect(conflictLevels(opinion("cost", "GREEN", 70), opinion("standards", "AMBER", 70), 70)).toBe(1)
    expect(conflictLevels(opinion("cost", "GREEN", 90), opinion("standards", "AMBER", 69), 70)).toBe(0)
    expect(conflictLevels(opinion("cost", "AMBER", 80), opinion("standards", "RED", 80), 70)).toBe(1)
    expect(conflictLevels(opinion("cost", "AMBER", 80), opinion("standards", "RED", 80), 90)).toBe(0)
  })

  it("agreeing opinions, and opinions of the same expert, never conflict", () => {
    expect(conflictLevels(opinion("cost", "RED", 99), opinion("standards", "RED", 99), 70)).toBe(0)
    expect(conflictLevels(opinion("cost", "GREEN", 99), opinion("cost", "RED", 99), 70)).toBe(0)
    // Same role, another expert (an LLM next to the built-in one) can conflict.
    expect(conflictLevels(opinion("cost", "GREEN", 99), opinion("cost", "RED", 99, { expert: "llm" }), 70)).toBe(2)
  })

  it("records on each opinion the roles it conflicts with, and lists each pair once", () => {
    const report = detectConflicts(
      [
        opinion("validator", "RED", 90),
        opinion("cost", "GREEN", 90),
        opinion("standards", "AMBER", 80),
        opinion("concrete", "GREEN", 50),
        opinion("cost", "GREEN", 90, { positionKey: "other" })
      ],
      70
    )
    const roles = Object.fromEntries(
      report.opinions.filter((o) => o.positionKey === "p1").map((o) => [o.role, o.conflictsWith])
    )
    expect(roles).toEqual({
      concrete: ["validator"],
      cost: ["standards", "validator"],
      // AMBER 80 vs RED 90: one level apart, both >= 70.
      standards: ["cost", "validator"],
      validator: ["concrete", "cost", "standards"]
    })
    expect(report.conflicts).toHaveLength(4)
    expect(report.conflicts.every((c) => c.positionKey === "p1")).toBe(true)
    expect(report.conflicts.find((c) => c.first.role === "concrete")).toMatchObject({
      second: { role: "validator", verdict: "RED" },
      levels: 2
    })
    expect(report.opinions.find((o) => o.positionKey === "other")!.conflictsWith).toEqual([])
  })
})
