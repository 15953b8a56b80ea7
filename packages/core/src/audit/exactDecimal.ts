// Exact decimal-string arithmetic the audit rules need (products, sums, rounding to a step, tolerances), over
// effect/BigDecimal. Local to audit/ until the budget module's exact arithmetic (budget/Money.ts) can be
// shared; it may then replace this file.
import { BigDecimal, Option } from "effect"

const DECIMAL = /^-?\d+(\.\d+)?$/

/** Parses a plain decimal string ("-12.50"); anything else (empty, exponent, comma, float noise) is None. */
export const parseDecimal = (text: string): Option.Option<BigDecimal.BigDecimal> =>
  DECIMAL.test(text) ? BigDecimal.fromString(text) : Option.none()

const half = BigDecimal.make(5n, 1)

/** Half of a rounding step: the largest error rounding to that step introduces. */
export const halfOf = (step: BigDecimal.BigDecimal): BigDecimal.BigDecimal => BigDecimal.multiply(step, half)

/** Decimals needed to write multiples of `step` ("0.01" → 2, "0.5" → 1, "10" → 0). */
export const decimalsOf = (step: BigDecimal.BigDecimal): number => Math.max(0, BigDecimal.normalize(step).scale)

/** value as a fraction numerator/denominator of bigints (denominator > 0). */
const asFraction = (d: BigDecimal.BigDecimal): readonly [bigint, bigint] =>
  d.scale >= 0 ? [d.value, 10n ** BigInt(d.scale)] : [d.value * 10n ** BigInt(-d.scale), 1n]

/** Rounds to the nearest multiple of a positive `step`, halves away from zero ("half-up" in budgets). Exact. */
export const roundToStep = (value: BigDecimal.BigDecimal, step: BigDecimal.BigDecimal): BigDecimal.BigDecimal => {
  const [vn, vd] = asFraction(value)
  const [sn, sd] = asFraction(step)
  // value / step = (vn·sd) / (vd·sn); round that ratio to an integer, half away from zero.
  const num = vn * sd
  const den = vd * sn
  const magnitude = (2n * (num < 0n ? -num : num) + den) / (2n * den)
  return BigDecimal.multiply(BigDecimal.fromBigInt(num < 0n ? -magnitude : magnitude), step)
}

/** Writes a decimal with exactly `decimals` digits after the point (the value must not need more). */
export const formatFixed = (value: BigDecimal.BigDecimal, decimals: number): string => {
  const scaled = BigDecimal.scale(value, decimals)
  const negative = scaled.value < 0n
  const digits = (negative ? -scaled.value : scaled.value).toString().padStart(decimals + 1, "0")
  const body =
    decimals > 0 ? `${digits.slice(0, digits.length - decimals)}.${digits.slice(digits.length - decimals)}` : digits
  return negative ? `-${body}` : body
}

/** Shortest exact text of a decimal ("1.50" → "1.5"). */
export const formatDecimal = (value: BigDecimal.BigDecimal): string => BigDecimal.format(BigDecimal.normalize(value))

/** Canonical text of a decimal string: "1.50" and "1.5" give the same; unparsable text is kept as written. */
export const canonicalDecimal = (text: string): string =>
  Option.match(parseDecimal(text), { onNone: () => text, onSome: formatDecimal })

/** |a - b| */
export const absoluteDifference = (a: BigDecimal.BigDecimal, b: BigDecimal.BigDecimal): BigDecimal.BigDecimal =>
  BigDecimal.abs(BigDecimal.subtract(a, b))
