// The values of a UNIXML position's quantity take-off lines, computed as KROS computes them (UNIXML stores only the
// expressions; a KROS XLSX export of the same budget caches the values, and both imports must agree):
// - VYRAZ lines: the expression's value (see takeoffExpression), figure codes resolved to the figure's measure;
// - SOUCET lines ("Součet"): the sum of the valued lines since the previous SOUCET line;
// - POZNAMKA lines: notes, no value;
// - KROS's own conversion line "96,943 * 1,1 ' Přepočtené koeficientem množství" (the base quantity times a waste or
//   unit coefficient, which becomes a material's quantity): its value is rounded to the budget's quantity step, like
//   the quantity it yields, and its text is written as KROS's XLSX export writes it ("96,943*1,1 'Přepočtené
//   koeficientem množství") — KROS generates that text, the estimator never types it, so one spelling is kept.
import * as Money from "../budget/Money.ts"
import { roundSignificant, SPREADSHEET_DIGITS } from "./decimalText.ts"
import type { TakeoffRecord } from "./readUnixmlTree.ts"
import { evaluateTakeoff } from "./takeoffExpression.ts"

export interface EvaluatedLine {
  readonly text: string
  readonly quantity: Money.Money | null
}

const CONVERSION = /^(\S+)\s*\*\s*(\S+)\s*'\s*(Přepočten\p{L}*\s+koeficientem\s+množství)\s*$/u

/** Evaluates the lines of one position; `figure` resolves a figure code of the position's object. */
export const evaluateTakeoffLines = (
  lines: ReadonlyArray<TakeoffRecord>,
  figure: (code: string) => Money.Money | undefined,
  quantityStep: Money.Money
): Array<EvaluatedLine> => {
  const out: Array<EvaluatedLine> = []
  let sum = Money.zero
  let summed = 0
  for (const line of lines) {
    let text = line.figure === "" ? line.expression : `${line.figure}: ${line.expression}`
    let quantity: Money.Money | null = null
    if (line.kind === "SOUCET") {
      quantity = summed === 0 ? null : roundSignificant(sum, SPREADSHEET_DIGITS)
      sum = Money.zero
      summed = 0
    } else if (line.kind !== "POZNAMKA") {
      const conversion = CONVERSION.exec(line.expression)
      const value = evaluateTakeoff(line.expression, figure)
      if (value !== undefined) {
        quantity = conversion === null ? value : Money.roundToStep(value, quantityStep)
        sum = Money.add(sum, quantity)
        summed++
      }
      if (conversion !== null && line.figure === "") text = `${conversion[1]}*${conversion[2]} '${conversion[3]}`
    }
    out.push({ text, quantity })
  }
  return out
}
