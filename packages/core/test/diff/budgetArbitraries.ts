// fast-check generators of budgets: small pools of codes, descriptions, units and places, so that random lists
// collide on keys, places and contents and every matching stage gets exercised.
import fc from "fast-check"
import * as Money from "../../src/budget/Money.ts"
import { computeTotal } from "../../src/budget/Pricer.ts"
import type { DecimalString } from "../../src/contracts/Decimal.ts"
import type { Position } from "../../src/contracts/Position.ts"
import { defaultRounding } from "../../src/contracts/Rounding.ts"

const dec = (s: string): DecimalString => s as DecimalString

/** Each code has descriptions close enough to match fuzzily and one that is not. */
const items: ReadonlyArray<{ readonly code: string; readonly descriptions: ReadonlyArray<string> }> = [
  {
    code: "121151113",
    descriptions: [
      "Sejmutí ornice plochy do 500 m2 tl. vrstvy do 200 mm strojně",
      "Sejmutí ornice plochy do 500 m2 tl vrstvy do 200 mm strojně",
      "Odkopávky nezapažené"
    ]
  },
  {
    code: "132151253",
    descriptions: [
      "Hloubení rýh šířky do 800 mm v hornině třídy těžitelnosti I skupiny 3",
      "Hloubení rýh šířky do 800 mm v hornině tř. těžitelnosti I skupiny 3",
      "Ruční výkop"
    ]
  },
  {
    code: "311235151",
    descriptions: ["Zdivo jednovrstvé z cihel děrovaných", "ZDIVO jednovrstvé z cihel děrovaných."]
  },
  { code: "", descriptions: ["Ostatní práce", "Přesun hmot"] }
]
const units = ["m", "m2", "m3", "t", "kus", "kpl"]
const objects: ReadonlyArray<readonly [string, string]> = [
  ["SO 1", "Dům"],
  ["SO 2", "Garáž"],
  ["SO 10", "Plot"]
]
const sections = ["1", "2", "HSV", "PSV"]

const decimal = (max: number, scale: number) =>
  fc.integer({ min: 0, max }).map((units) => dec(Money.format(Money.make(BigInt(units), scale))))

/** Everything but the key; totals priced by the default rounding, units accepted and normalised. */
export const contentArb: fc.Arbitrary<Omit<Position, "positionKey">> = fc
  .record({
    item: fc.constantFrom(...items),
    descriptionIndex: fc.nat(),
    object: fc.constantFrom(...objects),
    sectionCode: fc.constantFrom(...sections),
    number: fc.integer({ min: 1, max: 12 }).map(String),
    unit: fc.constantFrom(...units),
    quantity: decimal(20_000, 3),
    unitPrice: decimal(50_000, 2),
    takeoff: fc.array(fc.record({ text: fc.constantFrom("2*3", "1,5*4"), quantity: fc.option(decimal(100, 1)) }), {
      maxLength: 2
    }),
    note: fc.constantFrom("", "viz výkres D.1.1"),
    kind: fc.constantFrom("work" as const, "material" as const)
  })
  .map(
    (r): Omit<Position, "positionKey"> => ({
      objectCode: r.object[0],
      objectName: r.object[1],
      sectionCode: r.sectionCode,
      number: r.number,
      code: r.item.code,
      catalog: "CS ÚRS 2025 01",
      description: r.item.descriptions[r.descriptionIndex % r.item.descriptions.length]!,
      unit: r.unit,
      quantity: r.quantity,
      unitPrice: r.unitPrice,
      total: computeTotal(r.quantity, r.unitPrice, defaultRounding),
      takeoff: r.takeoff,
      note: r.note,
      kind: r.kind,
      source: "uploaded",
      status: "unaudited",
      confidence: null
    })
  )

/** A budget with distinct keys `${prefix}0`, `${prefix}1`, … */
export const budgetArb = (prefix = "k", maxLength = 25): fc.Arbitrary<Array<Position>> =>
  fc
    .array(contentArb, { maxLength })
    .map((contents) => contents.map((c, i) => ({ ...c, positionKey: `${prefix}${i}` })))

type Edit = "keep" | "remove" | "modify" | "move" | "rekey" | "rekeyModify" | "rekeyMove" | "rekeyMoveReword"

/**
 * A budget and a later version of it: positions kept, removed, modified (some content fields redrawn), moved,
 * re-keyed (as an import would deliver them), plus new positions.
 */
export const evolvedBudgetArb: fc.Arbitrary<readonly [Array<Position>, Array<Position>]> = budgetArb().chain((a) =>
  fc
    .tuple(
      fc.array(
        fc.constantFrom<Edit>(
          "keep",
          "keep",
          "remove",
          "modify",
          "move",
          "rekey",
          "rekeyModify",
          "rekeyMove",
          "rekeyMoveReword"
        ),
        {
          minLength: a.length,
          maxLength: a.length
        }
      ),
      fc.array(contentArb, { minLength: a.length, maxLength: a.length }),
      fc.array(fc.subarray(["quantity", "unitPrice", "description", "unit", "note", "objectName", "takeoff"] as const)),
      budgetArb("n", 5)
    )
    .map(([edits, redraws, fieldSets, added]) => {
      const b: Array<Position> = []
      a.forEach((p, i) => {
        const edit = edits[i]!
        if (edit === "remove") return
        const redraw = redraws[i]!
        let next: Position = p
        if (edit === "modify" || edit === "rekeyModify") {
          const fields = fieldSets[i % Math.max(1, fieldSets.length)] ?? ["quantity"]
          const patch: Record<string, unknown> = {}
          for (const field of fields) patch[field] = redraw[field]
          next = { ...p, ...patch }
          next = { ...next, total: computeTotal(next.quantity, next.unitPrice, defaultRounding) }
        }
        if (edit === "move" || edit === "rekeyMove" || edit === "rekeyMoveReword") {
          next = { ...p, objectCode: redraw.objectCode, objectName: redraw.objectName, sectionCode: redraw.sectionCode }
          next = { ...next, number: redraw.number }
        }
        if (edit === "rekeyMoveReword") {
          // Another wording of the same catalogue item: similar enough to match fuzzily, or (for the last variant) not.
          const variants = items.find((item) => item.code === p.code)!.descriptions
          next = { ...next, description: variants[(variants.indexOf(p.description) + 1) % variants.length]! }
        }
        if (edit.startsWith("rekey")) next = { ...next, positionKey: `r${i}` }
        b.push(next)
      })
      return [a, [...b, ...added]] as const
    })
)

/** Two budgets drawn independently (their keys overlap, their contents mostly do not). */
export const unrelatedBudgetsArb = fc.tuple(budgetArb("k"), budgetArb("k"))

export const shuffledArb = <A>(items: ReadonlyArray<A>): fc.Arbitrary<Array<A>> =>
  fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length })
