// Exact decimal text for the importers and exporters: reading the many ways budgets write numbers, and the few exact
// operations import needs (multiply, add, round half-up to a step). BigInt based, never floats; local to import/export.

/** value = units / 10^scale, scale >= 0. */
export interface Dec {
  readonly units: bigint
  readonly scale: number
}

const canonicalPattern = /^(-?)(\d+)(?:\.(\d+))?$/
const TEN = 10n

const pow10 = (n: number): bigint => TEN ** BigInt(n)

/** Parses a plain decimal string ("-12.50"); undefined when it is not one. */
export const parseDec = (text: string): Dec | undefined => {
  const m = canonicalPattern.exec(text)
  if (m === null) return undefined
  const frac = m[3] ?? ""
  const units = BigInt((m[2] ?? "0") + frac)
  return { units: m[1] === "-" ? -units : units, scale: frac.length }
}

/** Like parseDec for strings already known to be canonical. */
export const dec = (text: string): Dec => {
  const d = parseDec(text)
  if (d === undefined) throw new Error(`not a decimal string: ${text}`)
  return d
}

export const ZERO: Dec = { units: 0n, scale: 0 }

const rescale = (d: Dec, scale: number): bigint => d.units * pow10(scale - d.scale)

export const add = (a: Dec, b: Dec): Dec => {
  const scale = Math.max(a.scale, b.scale)
  return { units: rescale(a, scale) + rescale(b, scale), scale }
}

export const multiply = (a: Dec, b: Dec): Dec => ({ units: a.units * b.units, scale: a.scale + b.scale })

export const compare = (a: Dec, b: Dec): number => {
  const scale = Math.max(a.scale, b.scale)
  const x = rescale(a, scale)
  const y = rescale(b, scale)
  return x < y ? -1 : x > y ? 1 : 0
}

/** Integer division rounding half away from zero (Excel ROUND, KROS "MATEMATICKY"). */
const divideHalfUp = (n: bigint, d: bigint): bigint => {
  const q = n / d
  const r = n % d
  const twice = (r < 0n ? -r : r) * 2n
  const absD = d < 0n ? -d : d
  if (twice >= absD) return n < 0n !== d < 0n ? q - 1n : q + 1n
  return q
}

/** Rounds half-up to a multiple of a positive step ("0.01", "0.5", "10"). */
export const roundToStep = (value: Dec, step: Dec): Dec => {
  if (step.units <= 0n) return value
  const scale = Math.max(value.scale, step.scale)
  const count = divideHalfUp(rescale(value, scale), rescale(step, scale))
  return { units: count * step.units, scale: step.scale }
}

/** Rounds half-up to at most `scale` fraction digits. */
export const roundToScale = (value: Dec, scale: number): Dec =>
  value.scale <= scale ? value : { units: divideHalfUp(value.units, pow10(value.scale - scale)), scale }

/**
 * Writes a decimal with at least `minScale` fraction digits: trailing zeros beyond that are dropped, so "123" with
 * minScale 3 is "123.000" and "0.21807800" is "0.218078". The same value always gives the same text.
 */
export const format = (value: Dec, minScale = 0): string => {
  let { units, scale } = value
  while (scale > minScale && units % TEN === 0n) {
    units /= TEN
    scale--
  }
  if (scale < minScale) {
    units *= pow10(minScale - scale)
    scale = minScale
  }
  const negative = units < 0n
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0")
  const int = digits.slice(0, digits.length - scale)
  const frac = digits.slice(digits.length - scale)
  return `${negative && units !== 0n ? "-" : ""}${int}${scale > 0 ? `.${frac}` : ""}`
}

/** Fraction digits the DecimalString contract allows. */
export const MAX_SCALE = 12

/** Canonical text for a value: rounded to at most 12 fraction digits, at least `minScale` shown. */
export const canonical = (value: Dec, minScale = 0): string => format(roundToScale(value, MAX_SCALE), minScale)

const scientificPattern = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/

/** Parses digits with an optional fraction and exponent ("1.5E-05") exactly. */
const parseScientific = (text: string): Dec | undefined => {
  const m = scientificPattern.exec(text)
  if (m === null) return undefined
  const int = m[2] ?? ""
  const frac = m[3] ?? ""
  if (int === "" && frac === "") return undefined
  const exponent = Number(m[4] ?? "0")
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 400) return undefined
  let units = BigInt(`${int}${frac}` || "0")
  if (m[1] === "-") units = -units
  const scale = frac.length - exponent
  return scale >= 0 ? { units, scale } : { units: units * pow10(-scale), scale: 0 }
}

/** Keeps `digits` significant digits, rounding half-up. */
const roundSignificant = (value: Dec, digits: number): Dec => {
  const abs = value.units < 0n ? -value.units : value.units
  const excess = abs.toString().length - digits
  if (excess <= 0) return value
  return { units: divideHalfUp(value.units, pow10(excess)) * pow10(excess), scale: value.scale }
}

/**
 * A number as a spreadsheet stores it (the shortest or the 17-digit text of a binary double, "4810986.2799999993",
 * "1.5E-05") to the value a person sees: 15 significant digits, Excel's own precision.
 */
export const fromSpreadsheetNumber = (raw: string): Dec | undefined => {
  const value = parseScientific(raw.trim())
  return value === undefined ? undefined : roundSignificant(value, 15)
}

const spaces = /[\s\u00a0\u202f\u2007'’]/g
const currencySuffix = /(kč|czk|eur|€|usd|\$)$/i
const groupedComma = /^\d{1,3}(,\d{3})+(\.\d+)?$/
const groupedDot = /^\d{1,3}(\.\d{3}){2,}(,\d+)?$/

/**
 * Reads a number as people type it into budgets and CSV files: "1 234,50", "1.234,5", "1,234.5", "-12", "12,5 Kč".
 * `decimalSeparator` says what a lone "," means when it could also group thousands ("1,234"). Returns undefined
 * when the text is not a number (the caller reports it); callers treat "" as a missing value before calling.
 */
export const parseNumberText = (raw: string, decimalSeparator: "," | "."): Dec | undefined => {
  let text = raw.trim().replace(/^−/, "-").replace(currencySuffix, "").replace(spaces, "")
  let sign = ""
  if (text.startsWith("-") || text.startsWith("+")) {
    sign = text[0] === "-" ? "-" : ""
    text = text.slice(1)
  }
  const lastComma = text.lastIndexOf(",")
  const lastDot = text.lastIndexOf(".")
  if (lastComma >= 0 && lastDot >= 0) {
    // Both present: the later one separates the decimals, the other groups thousands.
    text = lastComma > lastDot ? text.replace(/\./g, "").replace(",", ".") : text.replace(/,/g, "")
  } else if (lastComma >= 0) {
    text = decimalSeparator === "." && groupedComma.test(text) ? text.replace(/,/g, "") : text.replace(",", ".")
  } else if (groupedDot.test(text)) {
    text = text.replace(/\./g, "")
  }
  if (!/^\d*\.?\d*(?:[eE][-+]?\d+)?$/.test(text)) return undefined
  return parseScientific(sign + text)
}
