// Small builders for positions and heads shared by the budget, diff and audit tests.
import type { BudgetHead } from "../../src/contracts/BudgetVersion.ts"
import type { DecimalString } from "../../src/contracts/Decimal.ts"
import type { Position, TakeoffLine } from "../../src/contracts/Position.ts"
import { defaultRounding } from "../../src/contracts/Rounding.ts"

/** A decimal string literal (tests write valid ones, or deliberately invalid ones to exercise validation). */
export const dec = (s: string): DecimalString => s as DecimalString

export type PositionInput = Omit<Partial<Position>, "quantity" | "unitPrice" | "total" | "takeoff"> & {
  readonly quantity?: string
  readonly unitPrice?: string
  readonly total?: string
  readonly takeoff?: ReadonlyArray<{ readonly text: string; readonly quantity: string | null }>
}

export const position = (input: PositionInput = {}): Position => ({
  positionKey: "p1",
  objectCode: "SO 1",
  objectName: "Dům",
  sectionCode: "1",
  number: "1",
  code: "121151113",
  catalog: "CS ÚRS 2025 01",
  description: "Sejmutí ornice plochy do 500 m2",
  unit: "m2",
  note: "",
  kind: "work",
  source: "uploaded",
  status: "unaudited",
  confidence: null,
  ...input,
  quantity: dec(input.quantity ?? "10.000"),
  unitPrice: dec(input.unitPrice ?? "29.10"),
  total: dec(input.total ?? "291.00"),
  takeoff: (input.takeoff ?? []).map(
    (l): TakeoffLine => ({ text: l.text, quantity: l.quantity === null ? null : dec(l.quantity) })
  )
})

export const head = (positions: ReadonlyArray<Position>, version = 1): BudgetHead => ({
  version,
  settings: { rounding: defaultRounding, currency: "CZK" },
  positions
})
