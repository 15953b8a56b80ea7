// A deterministic fingerprint of the fields of a position that experts judge, so a verdict (or a human
// override) can tell that the position changed since it was given.

import * as Money from "../budget/Money.ts"
import type { Position } from "../contracts/Position.ts"

/** Canonical text of a decimal string: "1.50" and "1.5" give the same; unparsable text is kept as written. */
const canonicalDecimal = (text: string): string => {
  const value = Money.parse(text)
  return value === undefined ? text : Money.formatAtLeast(value)
}

const FIELD = "\u001f"
const LINE = "\u001e"

/**
 * The judged fields, in a fixed order. Decimals are canonical ("1.50" = "1.5") so re-importing the same budget
 * with other formatting is not a change. Left out on purpose: positionKey (identity, not content), objectName,
 * source, status and confidence (they are outcomes or provenance, not what is judged).
 */
const canonicalText = (p: Position): string =>
  [
    p.objectCode,
    p.sectionCode,
    p.number,
    p.code,
    p.catalog,
    p.description,
    p.unit,
    canonicalDecimal(p.quantity),
    canonicalDecimal(p.unitPrice),
    canonicalDecimal(p.total),
    p.takeoff.map((l) => `${l.text}${FIELD}${l.quantity === null ? "" : canonicalDecimal(l.quantity)}`).join(LINE),
    p.note,
    p.kind
  ].join(FIELD)

// Two 32-bit multiplicative hash lanes (cyrb53 mixing) over UTF-16 code units: 64 bits, identical on every
// runtime (Math.imul and charCodeAt are exact), no crypto API needed in a pure package.
const hash64 = (text: string): string => {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (h2 >>> 0).toString(16).padStart(8, "0") + (h1 >>> 0).toString(16).padStart(8, "0")
}

// Positions are immutable values and every expert of an audit fingerprints the same objects: remember per object.
const memo = new WeakMap<Position, string>()

/** "fp1:" + 16 hex digits. The prefix versions the recipe: a new recipe makes every old verdict stale, safely. */
export const positionFingerprint = (position: Position): string => {
  let fingerprint = memo.get(position)
  if (fingerprint === undefined) {
    fingerprint = `fp1:${hash64(canonicalText(position))}`
    memo.set(position, fingerprint)
  }
  return fingerprint
}

/** True when the position no longer has the fingerprint the opinion (or override) recorded. */
export const isStale = (judged: { readonly positionFingerprint: string }, current: Position): boolean =>
  judged.positionFingerprint !== positionFingerprint(current)
