// Evaluates the expression of a KROS quantity take-off line ("výkaz výměr"), e.g. "(14+1)*(7,2+1)",
// "\"ornice\" 100,8*0,2", "12*8/cos 8", "F0005", "96,943 * 1,1 ' Přepočtené koeficientem množství" — safely: a small
// recursive-descent parser over + - * / ^ and parentheses, never `eval`, with bounded length, nesting and exponents.
//
// Syntax, as KROS writes it (every form below occurs in the real budgets under ../shared/data):
// - numbers with a decimal comma or point ("7,2", "0.25", "12.0+8,0"); no thousands separators;
// - text in double quotes is a comment wherever it stands; "'" starts a comment to the end of the line; text after a
//   complete expression, separated by a space and starting with a letter, is a comment too ("12*8 podlaha");
// - functions sin, cos, tg/tan, cotg/cot (angles in degrees, as KROS: "12*8/cos 8" is 96.9434…), sqrt, abs, the
//   constant pi; a function takes the number or parenthesised expression that follows, with or without parentheses;
// - figure codes ("F0005") stand for the figure's measure, looked up by the caller; any other name (a text line such as
//   "délka*výška") makes the line not evaluable.
//
// Arithmetic is exact (rationals of bigints); functions are computed in binary floating point. The result keeps 15
// significant digits — the precision KROS and spreadsheets compute take-off values at, so the value equals the one a
// KROS XLSX export caches for the same line (e.g. "(42,653*1,6)/3" → 22.7482666666667).
import * as Money from "../budget/Money.ts"
import { roundSignificant, SPREADSHEET_DIGITS } from "./decimalText.ts"

/** Longest expression evaluated, in characters; KROS lines are far shorter. */
export const MAX_TAKEOFF_EXPRESSION = 1_000
const MAX_DEPTH = 50
const MAX_NUMBER_DIGITS = 30
const MAX_EXPONENT = 64

interface Rational {
  /** Numerator; the sign lives here. */
  readonly n: bigint
  /** Denominator, always positive. */
  readonly d: bigint
}

// Not reduced: denominators stay products of small powers, bounded by the line's length, and the final rounding
// reads numerator and denominator as they are.
const rational = (n: bigint, d: bigint): Rational => (d < 0n ? { n: -n, d: -d } : { n, d })

const fromMoney = (m: Money.Money): Rational => ({ n: m.units, d: Money.pow10(m.scale) })

/** The exact value of a finite double (via its shortest decimal text, which reads back to the same double). */
const fromDouble = (x: number): Rational | undefined => {
  if (!Number.isFinite(x)) return undefined
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([-+]\d+))?$/.exec(String(x))
  if (match === null) return undefined
  const [, sign, int, frac = "", exp = "0"] = match
  const units = BigInt(`${sign}${int}${frac}`)
  const scale = frac.length - Number(exp)
  return scale >= 0 ? rational(units, Money.pow10(scale)) : rational(units * Money.pow10(-scale), 1n)
}

const toDouble = (r: Rational): number => Number(r.n) / Number(r.d)

const digitCount = (n: bigint): number => (n < 0n ? -n : n).toString().length

/** Rounds to 15 significant digits, half away from zero, as an exact decimal. */
const toMoney = (r: Rational): Money.Money => {
  if (r.n === 0n) return Money.zero
  // Enough fraction digits that the truncated quotient has at least 16 significant digits; its leading 16 are exact,
  // which is all half-up rounding to 15 needs.
  const scale = Math.max(0, SPREADSHEET_DIGITS + 1 - digitCount(r.n) + digitCount(r.d))
  const units = (r.n * Money.pow10(scale)) / r.d
  return Money.normalize(roundSignificant(Money.make(units, scale), SPREADSHEET_DIGITS))
}

const DEGREE = Math.PI / 180

const FUNCTIONS: Readonly<Record<string, (x: Rational) => Rational | undefined>> = {
  sin: (x) => fromDouble(Math.sin(toDouble(x) * DEGREE)),
  cos: (x) => fromDouble(Math.cos(toDouble(x) * DEGREE)),
  tg: (x) => fromDouble(Math.tan(toDouble(x) * DEGREE)),
  tan: (x) => fromDouble(Math.tan(toDouble(x) * DEGREE)),
  cotg: (x) => fromDouble(1 / Math.tan(toDouble(x) * DEGREE)),
  cot: (x) => fromDouble(1 / Math.tan(toDouble(x) * DEGREE)),
  sqrt: (x) => (x.n < 0n ? undefined : fromDouble(Math.sqrt(toDouble(x)))),
  abs: (x) => (x.n < 0n ? { n: -x.n, d: x.d } : x)
}

/** Thrown inside the parser for anything it cannot evaluate; never escapes `evaluateTakeoff`. */
class NotEvaluable extends Error {}

const fail = (): never => {
  throw new NotEvaluable()
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9"
const isLetter = (c: string | undefined): boolean => c !== undefined && /\p{L}/u.test(c)

class Parser {
  private i = 0
  private depth = 0
  private readonly text: string
  private readonly figure: (name: string) => Money.Money | undefined

  constructor(text: string, figure: (name: string) => Money.Money | undefined) {
    this.text = text
    this.figure = figure
  }

  /** Skips spaces and quoted comments; stops at a "'" comment (the rest of the line). */
  private skip(): void {
    for (;;) {
      const c = this.text[this.i]
      if (c === " " || c === "\t" || c === "\u00a0") this.i++
      else if (c === '"') {
        const end = this.text.indexOf('"', this.i + 1)
        this.i = end < 0 ? this.text.length : end + 1
      } else return
    }
  }

  private peek(): string | undefined {
    this.skip()
    const c = this.text[this.i]
    return c === "'" ? undefined : c
  }

  /** The whole line: one expression, then nothing or a comment. */
  parseLine(): Rational {
    if (this.peek() === undefined) fail()
    const value = this.expression()
    const end = this.i
    const next = this.text[end]
    const before = this.text[end - 1]
    // Whatever follows must be a comment: "'" or a quoted text (both skipped by peek), or a word after a space —
    // but not "x 3" or "× 3", which reads as a multiplication KROS does not accept.
    if (next === undefined || next === "'") return value
    if (isLetter(next) && (before === " " || before === "\t" || before === "\u00a0" || before === '"')) {
      if (/^[xX×]\s*\d/.test(this.text.slice(end, end + 8))) fail()
      return value
    }
    return fail()
  }

  private expression(): Rational {
    if (++this.depth > MAX_DEPTH) fail()
    let value = this.term()
    for (;;) {
      const c = this.peek()
      if (c !== "+" && c !== "-") break
      this.i++
      const right = this.term()
      value = rational(
        c === "+" ? value.n * right.d + right.n * value.d : value.n * right.d - right.n * value.d,
        value.d * right.d
      )
    }
    this.depth--
    return value
  }

  private term(): Rational {
    let value = this.unary()
    for (;;) {
      const c = this.peek()
      if (c !== "*" && c !== "/") break
      this.i++
      const right = this.unary()
      if (c === "*") value = rational(value.n * right.n, value.d * right.d)
      else if (right.n === 0n) fail()
      else value = rational(value.n * right.d, value.d * right.n)
    }
    return value
  }

  private unary(): Rational {
    const c = this.peek()
    if (c === "-" || c === "+") {
      this.i++
      if (++this.depth > MAX_DEPTH) fail()
      const value = this.unary()
      this.depth--
      return c === "-" ? { n: -value.n, d: value.d } : value
    }
    return this.power()
  }

  private power(): Rational {
    const base = this.primary()
    if (this.peek() !== "^") return base
    this.i++
    const exponent = this.unary()
    if (exponent.d === 1n && exponent.n >= -MAX_EXPONENT && exponent.n <= MAX_EXPONENT) {
      const e = Number(exponent.n)
      if (e < 0 && base.n === 0n) fail()
      const n = base.n ** BigInt(Math.abs(e))
      const d = base.d ** BigInt(Math.abs(e))
      return e >= 0 ? rational(n, d) : rational(d, n)
    }
    return fromDouble(toDouble(base) ** toDouble(exponent)) ?? fail()
  }

  private primary(): Rational {
    const c = this.peek()
    if (c === "(") {
      this.i++
      const value = this.expression()
      if (this.peek() !== ")") fail()
      this.i++
      return value
    }
    if (isDigit(c) || ((c === "," || c === ".") && isDigit(this.text[this.i + 1]))) return this.number()
    if (isLetter(c)) return this.name()
    return fail()
  }

  private number(): Rational {
    const text = this.text
    const start = this.i
    let i = start
    let value = 0
    let digits = ""
    let scale = -1
    for (;;) {
      const c = text.charCodeAt(i)
      if (c >= 48 && c <= 57) {
        value = value * 10 + (c - 48)
        if (scale >= 0) scale++
        i++
      } else if (scale < 0 && (c === 44 || c === 46) && isDigit(text[i + 1])) {
        // The digits so far, kept as text in case the number turns out longer than a double holds exactly.
        digits = text.slice(start, i)
        scale = 0
        i++
      } else break
    }
    const count = i - start - (scale >= 0 ? 1 : 0)
    if (count === 0 || count > MAX_NUMBER_DIGITS) fail()
    this.i = i
    const d = Money.pow10(Math.max(scale, 0))
    // Up to 15 digits the double accumulated above is exact.
    if (count <= 15) return { n: BigInt(value), d }
    return { n: BigInt(scale < 0 ? text.slice(start, i) : digits + text.slice(i - scale, i)), d }
  }

  private name(): Rational {
    const match = /^[\p{L}_][\p{L}\p{N}_]*/u.exec(this.text.slice(this.i, this.i + 64))
    const word = match?.[0] ?? fail()
    this.i += word.length
    const lower = word.toLowerCase()
    if (lower === "pi") return fromDouble(Math.PI) ?? fail()
    const fn = FUNCTIONS[lower]
    if (fn !== undefined) {
      if (++this.depth > MAX_DEPTH) fail()
      const argument = this.power()
      this.depth--
      return fn(argument) ?? fail()
    }
    const figure = this.figure(word)
    return figure === undefined ? fail() : fromMoney(figure)
  }
}

/**
 * The value of a take-off expression to 15 significant digits, or undefined when the line is not an expression (a
 * note such as "délka*výška", an unknown name, division by zero, too long or too deeply nested).
 */
export const evaluateTakeoff = (
  text: string,
  figure: (name: string) => Money.Money | undefined = () => undefined
): Money.Money | undefined => {
  if (text.length > MAX_TAKEOFF_EXPRESSION) return undefined
  try {
    return toMoney(new Parser(text, figure).parseLine())
  } catch (error) {
    if (error instanceof NotEvaluable || error instanceof RangeError) return undefined
    throw error
  }
}
