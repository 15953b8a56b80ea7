// The cost expert's arithmetic check of one position: quantity × unit price rounded to the total step, and whether
// the stated total is further from the product than rounding explains. Exact either way: with integers below 2^53 a
// double holds every intermediate value exactly, which is nearly every budget line and several times faster than
// bigints; anything larger goes through Money's bigints. A test checks that both paths agree.
import * as Money from "../budget/Money.ts"

export interface TotalCheck {
  /** round(quantity × unit price) to the total step, printed with at least `totalScale` decimals. */
  readonly expected: string
  /** |quantity × unit price − total| > tolerance. */
  readonly exceeds: boolean
}

/** The inputs of every variant of the check: the position's numbers, the total's rounding step and its printed scale. */
type CheckTotalWith<Answer> = (
  quantity: Money.Money,
  unitPrice: Money.Money,
  total: Money.Money,
  step: Money.Money,
  totalScale: number,
  tolerance: Money.Money
) => Answer

/** The check with Money's bigints. */
export const checkTotalExact: CheckTotalWith<TotalCheck> = (
  quantity,
  unitPrice,
  total,
  step,
  totalScale,
  tolerance
) => {
  const product = Money.multiply(quantity, unitPrice)
  const difference = Money.abs(Money.subtract(product, total))
  return {
    expected: Money.formatAtLeast(Money.roundToStep(product, step), totalScale),
    exceeds: Money.compare(difference, tolerance) > 0
  }
}

const POW10: ReadonlyArray<number> = Array.from({ length: 16 }, (_, k) => 10 ** k)

/** `n × 10^k` when it stays an exact integer below 2^53; undefined otherwise. */
const up = (n: number, k: number): number | undefined => {
  if (k === 0) return n
  const factor = POW10[k]
  if (factor === undefined) return undefined
  const r = n * factor
  return Number.isSafeInteger(r) ? r : undefined
}

const small = (m: Money.Money): number | undefined => {
  const n = Number(m.units)
  return Number.isSafeInteger(n) ? n : undefined
}

/** Money.formatAtLeast for `units × 10^-scale` given as a safe integer. */
const formatAtLeast = (units: number, scale: number, minScale: number): string | undefined => {
  let u = units
  let s = scale
  while (s > minScale && u % 10 === 0) {
    u /= 10
    s--
  }
  const target = Math.max(s, minScale)
  const v = up(u, target - s)
  if (v === undefined) return undefined
  const digits = String(v < 0 ? -v : v)
  if (target === 0) return v < 0 ? `-${digits}` : digits
  const padded = digits.padStart(target + 1, "0")
  const cut = padded.length - target
  return `${v < 0 ? "-" : ""}${padded.slice(0, cut)}.${padded.slice(cut)}`
}

/** The check in doubles, or undefined when some value would not stay an exact integer below 2^53. */
const checkTotalSmall: CheckTotalWith<TotalCheck | undefined> = (
  quantity,
  unitPrice,
  total,
  step,
  totalScale,
  tolerance
) => {
  const q = small(quantity)
  const p = small(unitPrice)
  const t = small(total)
  const su = small(step)
  const tol = small(tolerance)
  if (q === undefined || p === undefined || t === undefined || su === undefined || tol === undefined) return undefined
  const product = q * p
  if (!Number.isSafeInteger(product)) return undefined
  const productScale = quantity.scale + unitPrice.scale

  // Money.roundToStep(product, step): half away from zero, at the step's scale.
  const scale = Math.max(productScale, step.scale)
  const value = up(product, scale - productScale)
  const stepUnits = up(su, scale - step.scale)
  if (value === undefined || stepUnits === undefined || stepUnits <= 0) return undefined
  const magnitude = value < 0 ? -value : value
  const rest = magnitude % stepUnits
  let quotient = (magnitude - rest) / stepUnits
  if (rest * 2 >= stepUnits) quotient += 1
  const rounded = quotient * su
  if (!Number.isSafeInteger(rounded)) return undefined
  const expected = formatAtLeast(value < 0 ? -rounded : rounded, step.scale, totalScale)
  if (expected === undefined) return undefined

  // |product − total| against the tolerance, at a common scale.
  const diffScale = Math.max(productScale, total.scale)
  const ps = up(product, diffScale - productScale)
  const ts = up(t, diffScale - total.scale)
  if (ps === undefined || ts === undefined) return undefined
  const difference = Math.abs(ps - ts)
  if (!Number.isSafeInteger(difference)) return undefined
  const common = Math.max(diffScale, tolerance.scale)
  const d = up(difference, common - diffScale)
  const limit = up(tol, common - tolerance.scale)
  if (d === undefined || limit === undefined) return undefined
  return { expected, exceeds: d > limit }
}

/** The check, exact; fast for the values budgets hold. */
export const checkTotal: CheckTotalWith<TotalCheck> = (quantity, unitPrice, total, step, totalScale, tolerance) =>
  checkTotalSmall(quantity, unitPrice, total, step, totalScale, tolerance) ??
  checkTotalExact(quantity, unitPrice, total, step, totalScale, tolerance)
