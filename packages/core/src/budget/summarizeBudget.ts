// Exact totals of a position list: overall, per object and per (object, section), in natural code order.
import type { BudgetTotals, ObjectSummary, SectionSummary } from "../contracts/BudgetVersion.ts"
import type { DecimalString } from "../contracts/Decimal.ts"
import type { Position } from "../contracts/Position.ts"
import { defaultRounding, type RoundingSettings } from "../contracts/Rounding.ts"
import * as Money from "./Money.ts"
import { compareNatural } from "./positionOrder.ts"

interface Bucket {
  readonly objectCode: string
  readonly objectName: string
  readonly sectionCode: string
  count: number
  total: Money.Money
}

// Money.format output always matches the DecimalString pattern.
const asDecimal = (s: string): DecimalString => s as DecimalString

/**
 * Sums the stated totals of the positions (no re-rounding: a sum of rounded totals is exact). Sums are printed with
 * the total step's decimals, or more when some stated total carries more. An object's name is the first one met.
 */
export const summarizeBudget = (
  positions: ReadonlyArray<Position>,
  rounding: RoundingSettings = defaultRounding
): BudgetTotals => {
  const objects = new Map<string, Bucket>()
  const sections = new Map<string, Bucket>()
  let scale = Money.scaleOf(rounding.total)
  let grand = Money.zero
  for (const position of positions) {
    const total = Money.parseUnsafe(position.total)
    if (total.scale > scale) scale = total.scale
    grand = Money.add(grand, total)
    let object = objects.get(position.objectCode)
    if (object === undefined) {
      object = {
        objectCode: position.objectCode,
        objectName: position.objectName,
        sectionCode: "",
        count: 0,
        total: Money.zero
      }
      objects.set(position.objectCode, object)
    }
    object.count++
    object.total = Money.add(object.total, total)
    const sectionKey = `${position.objectCode}\u0000${position.sectionCode}`
    let section = sections.get(sectionKey)
    if (section === undefined) {
      section = {
        objectCode: position.objectCode,
        objectName: position.objectName,
        sectionCode: position.sectionCode,
        count: 0,
        total: Money.zero
      }
      sections.set(sectionKey, section)
    }
    section.count++
    section.total = Money.add(section.total, total)
  }
  const objectSummaries: Array<ObjectSummary> = [...objects.values()]
    .sort((a, b) => compareNatural(a.objectCode, b.objectCode))
    .map((b) => ({
      objectCode: b.objectCode,
      objectName: b.objectName,
      positionCount: b.count,
      total: asDecimal(Money.format(b.total, scale))
    }))
  const sectionSummaries: Array<SectionSummary> = [...sections.values()]
    .sort((a, b) => compareNatural(a.objectCode, b.objectCode) || compareNatural(a.sectionCode, b.sectionCode))
    .map((b) => ({
      objectCode: b.objectCode,
      sectionCode: b.sectionCode,
      positionCount: b.count,
      total: asDecimal(Money.format(b.total, scale))
    }))
  return {
    total: asDecimal(Money.format(grand, scale)),
    positionCount: positions.length,
    objects: objectSummaries,
    sections: sectionSummaries
  }
}
