// Reading numbers the many ways budget files write them ("1 234,50", "1.5E-05", spreadsheet doubles) into exact
// Money values, and the canonical text importers and exporters write. The arithmetic itself is budget/Money's.
import * as Money from "../budget/Money.ts"

/** Fraction digits the DecimalString contract allows. */
export const MAX_SCALE = 12

/** Rounds half-up to at most `scale` fraction digits. */
export const roundToScale = (value: Money.Money, scale: number): Money.Money =>
  value.scale <= scale ? value : Money.roundToStep(value, Money.make(1n, scale))

/** Canonical text for a value: rounded to at most 12 fraction digits, at least `minScale` shown. */
export const canonical = (value: Money.Money, minScale = 0): string =>
  Money.formatAtLeast(roundToScale(value, MAX_SCALE), minScale)

const scientificPattern = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/

/** Parses digits with an optional fraction and exponent ("1.5E-05") exactly. */
const parseScientific = (text: string): Money.Money | undefined => {
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
  return scale >= 0 ? Money.make(units, scale) : Money.make(units * Money.pow10(-scale), 0)
}

/** Significant digits a spreadsheet (and KROS) keeps of a computed number. */
export const SPREADSHEET_DIGITS = 15

/** Keeps `digits` significant digits, rounding half-up. */
export const roundSignificant = (value: Money.Money, digits: number): Money.Money => {
  const abs = value.units < 0n ? -value.units : value.units
  const excess = abs.toString().length - digits
  if (excess <= 0) return value
  const rounded = Money.roundToStep(Money.make(value.units, 0), Money.make(Money.pow10(excess), 0))
  return Money.make(rounded.units, value.scale)
}

/**
 * A number as a spreadsheet stores it (the shortest or the 17-digit text of a binary double, "4810986.2799999993",
 * "1.5E-05") to the value a person sees: 15 significant digits, Excel's own precision.
 */
export const fromSpreadsheetNumber = (raw: string): Money.Money | undefined => {
  const value = parseScientific(raw.trim())
  return value === undefined ? undefined : roundSignificant(value, SPREADSHEET_DIGITS)
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
export const parseNumberText = (raw: string, decimalSeparator: "," | "."): Money.Money | undefined =>
  plainNumber(raw, decimalSeparator) ?? parseFormattedNumber(raw, decimalSeparator)

/**
 * The common case read without regular expressions or copies: optional "-", digits, and optionally the decimal
 * separator and more digits ("1234,50" with "," — or "12.5" with "."). Undefined for anything else, which the full
 * reader handles.
 */
const plainNumber = (text: string, decimalSeparator: "," | "."): Money.Money | undefined =>
  // More than 30 characters after the sign (a pasted identifier, say) are left to the full reader, which reports them.
  text.length - (text.charCodeAt(0) === 45 ? 1 : 0) > 30
    ? undefined
    : Money.parse(text, decimalSeparator === "," ? 44 : 46)

const parseFormattedNumber = (raw: string, decimalSeparator: "," | "."): Money.Money | undefined => {
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
