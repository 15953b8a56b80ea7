// A deterministic fingerprint of the fields of a position that experts judge, so a verdict (or a human
// override) can tell that the position changed since it was given.

import type { Position } from "../contracts/Position.ts"

const isDigitAt = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i)
  return c >= 48 && c <= 57
}

/**
 * Canonical text of a decimal string: "1.50" and "1.5" give the same, as do "-0.0" and "0"; unparsable text is kept
 * as written. The same as Money.formatAtLeast(Money.parse(text)), by string scanning — no bigints, since it runs for
 * three fields of every position of an audit.
 */
export const canonicalDecimal = (text: string): string => {
  const n = text.length
  const negative = text.charCodeAt(0) === 45
  let i = negative ? 1 : 0
  const intStart = i
  while (i < n && isDigitAt(text, i)) i++
  const intEnd = i
  if (intEnd === intStart) return text
  let fracStart = -1
  if (i < n) {
    if (text.charCodeAt(i) !== 46) return text
    fracStart = ++i
    while (i < n && isDigitAt(text, i)) i++
    if (i === fracStart || i !== n) return text
  }
  let a = intStart
  while (a < intEnd - 1 && text.charCodeAt(a) === 48) a++
  let e = n
  if (fracStart >= 0) while (e > fracStart && text.charCodeAt(e - 1) === 48) e--
  const negativeZero =
    negative && e === (fracStart >= 0 ? fracStart : intEnd) && a === intEnd - 1 && text.charCodeAt(a) === 48
  // Already canonical (the usual case for values a budget wrote): no copy.
  if (a === intStart && (fracStart < 0 || e === n) && !negativeZero) return text
  const whole = text.slice(a, intEnd)
  const fraction = fracStart >= 0 && e > fracStart ? text.slice(fracStart, e) : ""
  const sign = negative && (whole !== "0" || fraction !== "") ? "-" : ""
  return fraction === "" ? sign + whole : `${sign}${whole}.${fraction}`
}

const FIELD = 0x1f
const LINE = 0x1e

// Two 32-bit multiplicative hash lanes (cyrb53 mixing) over UTF-16 code units: 64 bits, identical on every
// runtime (Math.imul and charCodeAt are exact), no crypto API needed in a pure package. The lanes are fed field by
// field, which gives the hash of the joined text without building it (one position at a time, so module state is
// safe: nothing here yields).
let h1 = 0
let h2 = 0

const feedCode = (c: number): void => {
  h1 = Math.imul(h1 ^ c, 2654435761)
  h2 = Math.imul(h2 ^ c, 1597334677)
}

const feed = (text: string): void => {
  // Locals in the loop, module state once: much faster than updating the module's variables per character.
  let a = h1
  let b = h2
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 2654435761)
    b = Math.imul(b ^ c, 1597334677)
  }
  h1 = a
  h2 = b
}

const feedField = (text: string): void => {
  feed(text)
  feedCode(FIELD)
}

/**
 * The hash of the judged fields joined with U+001F, in this order: object, section, number, code, catalogue,
 * description, unit, quantity, unit price, total (decimals canonical: "1.50" = "1.5", so re-importing the same
 * budget with other formatting is not a change), take-off lines (each "text U+001F value", joined with U+001E),
 * note, kind. Left out on purpose: positionKey (identity, not content), objectName, source, status and confidence
 * (outcomes or provenance, not what is judged).
 */
const hashPosition = (p: Position): string => {
  h1 = 0xdeadbeef
  h2 = 0x41c6ce57
  feedField(p.objectCode)
  feedField(p.sectionCode)
  feedField(p.number)
  feedField(p.code)
  feedField(p.catalog)
  feedField(p.description)
  feedField(p.unit)
  feed(canonicalDecimal(p.quantity))
  feedCode(FIELD)
  feed(canonicalDecimal(p.unitPrice))
  feedCode(FIELD)
  feed(canonicalDecimal(p.total))
  feedCode(FIELD)
  for (let i = 0; i < p.takeoff.length; i++) {
    const line = p.takeoff[i]!
    if (i > 0) feedCode(LINE)
    feed(line.text)
    feedCode(FIELD)
    if (line.quantity !== null) feed(canonicalDecimal(line.quantity))
  }
  feedCode(FIELD)
  feed(p.note)
  feedCode(FIELD)
  feed(p.kind)
  const a = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  const b = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909)
  return (b >>> 0).toString(16).padStart(8, "0") + (a >>> 0).toString(16).padStart(8, "0")
}

// Positions are immutable values and every expert of an audit fingerprints the same objects: remember per object.
const memo = new WeakMap<Position, string>()

/** "fp1:" + 16 hex digits. The prefix versions the recipe: a new recipe makes every old verdict stale, safely. */
export const positionFingerprint = (position: Position): string => {
  let fingerprint = memo.get(position)
  if (fingerprint === undefined) {
    fingerprint = `fp1:${hashPosition(position)}`
    memo.set(position, fingerprint)
  }
  return fingerprint
}

// The fingerprints of the batch an audit hands to every expert, computed once per batch: one lookup per expert run
// instead of one per opinion, and no per-position memo entry. A hit is checked element by element (a pointer compare
// each), so a batch array changed in place is never served stale fingerprints.
const batches = new WeakMap<
  ReadonlyArray<Position>,
  { readonly items: ReadonlyArray<Position>; readonly fps: ReadonlyArray<string> }
>()

/** `positionFingerprint` of every position of `positions`, in order. */
export const fingerprintsOf = (positions: ReadonlyArray<Position>): ReadonlyArray<string> => {
  const cached = batches.get(positions)
  if (cached !== undefined && cached.items.length === positions.length) {
    let same = true
    for (let i = 0; i < positions.length && same; i++) same = cached.items[i] === positions[i]
    if (same) return cached.fps
  }
  const fps = positions.map((p) => memo.get(p) ?? `fp1:${hashPosition(p)}`)
  batches.set(positions, { items: positions.slice(), fps })
  return fps
}

/** True when the position no longer has the fingerprint the opinion (or override) recorded. */
export const isStale = (judged: { readonly positionFingerprint: string }, current: Position): boolean =>
  judged.positionFingerprint !== positionFingerprint(current)
