// Pairs the positions of two lists in stages — key, place, content, fuzzy — with hash maps, so matching is O(n)
// apart from the fuzzy stage, which only compares positions that share a catalogue code and unit.
import { comparePositions } from "../budget/positionOrder.ts"
import { normalizeUnit } from "../budget/units.ts"
import type { MatchStage } from "../contracts/BudgetDiff.ts"
import type { Position } from "../contracts/Position.ts"
import { diceSimilarity, trigrams } from "./descriptionSimilarity.ts"
import { uniqueKeyIndex } from "./keyIndex.ts"
import { normalizeDescription } from "./normalizeDescription.ts"

/**
 * Fuzzy matching threshold: Dice similarity of description word trigrams must be at least 0.8. Chosen so that a
 * reworded or retyped description of the same catalogue item still matches (a few words added, diacritics or
 * abbreviations changed), while two items that merely share a code and unit but describe different work do not.
 */
export const FUZZY_THRESHOLD = 0.8

/**
 * A fuzzy block (same code and unit) with more candidate pairs than this is skipped: its positions stay added and
 * removed. That bounds the fuzzy stage to O(n · cap) even for a budget with thousands of uncoded lines.
 */
export const FUZZY_MAX_PAIRS_PER_BLOCK = 10_000

export interface MatchedPair {
  readonly before: Position
  readonly after: Position
  readonly stage: MatchStage
  readonly similarity: number | null
}

export interface Matching {
  readonly pairs: ReadonlyArray<MatchedPair>
  readonly removed: ReadonlyArray<Position>
  readonly added: ReadonlyArray<Position>
}

const SEP = "\u0000"

/**
 * Matches on `positionKey` only, in input order (for change sets, where keys are authoritative). No sorting: an
 * `applyChanges` on 100k positions pays one map build and one pass.
 */
export const matchByKey = (before: ReadonlyArray<Position>, after: ReadonlyArray<Position>): Matching => {
  const index = new Map<string, number>()
  before.forEach((position, b) => {
    if (!index.has(position.positionKey)) index.set(position.positionKey, b)
  })
  const taken = new Uint8Array(before.length)
  const pairs: Array<MatchedPair> = []
  const added: Array<Position> = []
  for (const position of after) {
    const b = index.get(position.positionKey)
    if (b !== undefined && taken[b] === 0) {
      taken[b] = 1
      pairs.push({ before: before[b]!, after: position, stage: "key", similarity: null })
    } else added.push(position)
  }
  return { pairs, removed: before.filter((_, b) => taken[b] === 0), added }
}

/**
 * Matches in the four stages of `MatchStage`; the result is independent of the input order.
 *
 * When keys are unique on both sides (the usual case: two versions of one budget) the key stage cannot depend on
 * order, so it pairs without sorting, and only the positions it leaves over are sorted for the later stages — the
 * same pairs as sorting everything first, at a fraction of the cost for 100k positions. Repeated keys take the
 * sorted path.
 */
export const matchPositions = (before: ReadonlyArray<Position>, after: ReadonlyArray<Position>): Matching =>
  matchForDiff(before, after, false).matching

/**
 * `matchPositions` for a diff: with `dropIdentical`, key pairs whose compared fields are identical strings (and so
 * neither changed, moved nor adding to the cost bridge) are only counted, not listed — most of two versions' pairs.
 */
export const matchForDiff = (
  before: ReadonlyArray<Position>,
  after: ReadonlyArray<Position>,
  dropIdentical: boolean
): { readonly matching: Matching; readonly identical: number } => {
  const keyPairs = matchUniqueKeys(before, after, dropIdentical)
  if (keyPairs !== undefined) {
    const state = start(keyPairs.restBefore, keyPairs.restAfter, keyPairs.pairs)
    matchLaterStages(state)
    return { matching: finish(state), identical: keyPairs.identical }
  }
  return { matching: matchPositionsSorted(before, after), identical: 0 }
}

/** Every field a diff compares, and the place, written identically: the pair is unchanged, whatever the options. */
const identicalPositions = (x: Position, y: Position): boolean => {
  if (
    x.objectCode !== y.objectCode ||
    x.sectionCode !== y.sectionCode ||
    x.number !== y.number ||
    x.quantity !== y.quantity ||
    x.unitPrice !== y.unitPrice ||
    x.total !== y.total ||
    x.code !== y.code ||
    x.description !== y.description ||
    x.unit !== y.unit ||
    x.catalog !== y.catalog ||
    x.objectName !== y.objectName ||
    x.note !== y.note ||
    x.kind !== y.kind
  )
    return false
  const a = x.takeoff
  const b = y.takeoff
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i]!.text !== b[i]!.text || a[i]!.quantity !== b[i]!.quantity) return false
  return true
}

/** The four stages over both lists sorted first: what `matchPositions` does when keys repeat, and its reference. */
export const matchPositionsSorted = (before: ReadonlyArray<Position>, after: ReadonlyArray<Position>): Matching => {
  const state = start(before, after, [])
  matchExact(state, "key", (p) => p.positionKey)
  matchLaterStages(state)
  return finish(state)
}

const keyPair = (before: Position, after: Position): MatchedPair => ({ before, after, stage: "key", similarity: null })

/**
 * The key stage without sorting, or undefined when a key repeats in `before`, or repeats in `after` for a key that
 * `before` has (then which position pairs depends on order). Two versions usually list their positions in the same
 * order, so it first walks both lists side by side, pairing equal keys and stepping over an insertion or removal
 * (one-position look-ahead); only what that leaves goes through a map.
 */
const matchUniqueKeys = (
  before: ReadonlyArray<Position>,
  after: ReadonlyArray<Position>,
  dropIdentical: boolean
):
  | {
      readonly pairs: Array<MatchedPair>
      readonly identical: number
      readonly restBefore: Array<Position>
      readonly restAfter: Array<Position>
    }
  | undefined => {
  const index = uniqueKeyIndex(before)
  if (index === undefined) return undefined
  const taken = new Uint8Array(before.length)
  const pairs: Array<MatchedPair> = []
  let identical = 0
  const leftAfter: Array<Position> = []
  let b = 0
  let a = 0
  while (b < before.length && a < after.length) {
    const x = before[b]!
    const y = after[a]!
    if (x.positionKey === y.positionKey) {
      taken[b] = 1
      if (dropIdentical && identicalPositions(x, y)) identical++
      else pairs.push(keyPair(x, y))
      b++
      a++
    } else if (b + 1 < before.length && before[b + 1]!.positionKey === y.positionKey) b++
    else if (a + 1 < after.length && after[a + 1]!.positionKey === x.positionKey) leftAfter.push(after[a++]!)
    else {
      leftAfter.push(y)
      b++
      a++
    }
  }
  while (a < after.length) leftAfter.push(after[a++]!)

  // What the walk left: looked up by key. A before position already paired means the key repeats in `after`.
  const restAfter: Array<Position> = []
  for (const position of leftAfter) {
    const i = index.find(position.positionKey)
    if (i < 0) restAfter.push(position)
    else if (taken[i] === 1) return undefined
    else {
      taken[i] = 1
      pairs.push(keyPair(before[i]!, position))
    }
  }
  const restBefore: Array<Position> = []
  for (let i = 0; i < before.length; i++) if (taken[i] === 0) restBefore.push(before[i]!)
  return { pairs, identical, restBefore, restAfter }
}

/** The place, content and fuzzy stages over what the key stage left. */
const matchLaterStages = (state: State): void => {
  if (state.before.length === 0 || state.after.length === 0) return
  matchExact(state, "place", (p) => p.objectCode + SEP + p.sectionCode + SEP + p.number + SEP + p.code)
  const description = new Map<Position, string>()
  const normalized = (p: Position): string => {
    let d = description.get(p)
    if (d === undefined) {
      d = normalizeDescription(p.description)
      description.set(p, d)
    }
    return d
  }
  matchExact(state, "content", (p) => p.objectCode + SEP + p.code + SEP + normalized(p) + SEP + normalizeUnit(p.unit))
  matchFuzzy(state, normalized)
}

interface State {
  readonly before: ReadonlyArray<Position>
  readonly after: ReadonlyArray<Position>
  /** The before position each after position is matched with, by index into `after`. */
  readonly partner: Array<number>
  readonly taken: Array<boolean>
  readonly pairs: Array<MatchedPair>
}

const start = (before: ReadonlyArray<Position>, after: ReadonlyArray<Position>, pairs: Array<MatchedPair>): State => ({
  // Sorting first makes every tie-break (which of two equal candidates pairs first) independent of input order.
  before: [...before].sort(comparePositions),
  after: [...after].sort(comparePositions),
  partner: new Array<number>(after.length).fill(-1),
  taken: new Array<boolean>(before.length).fill(false),
  pairs
})

const pair = (state: State, b: number, a: number, stage: MatchStage, similarity: number | null): void => {
  state.partner[a] = b
  state.taken[b] = true
  state.pairs.push({ before: state.before[b]!, after: state.after[a]!, stage, similarity })
}

/** Pairs unmatched positions with equal keys, first come first served in sorted order. */
const matchExact = (state: State, stage: MatchStage, keyOf: (p: Position) => string): void => {
  const waiting = new Map<string, { readonly items: Array<number>; next: number }>()
  state.before.forEach((position, b) => {
    if (state.taken[b]) return
    const key = keyOf(position)
    const queue = waiting.get(key)
    if (queue === undefined) waiting.set(key, { items: [b], next: 0 })
    else queue.items.push(b)
  })
  if (waiting.size === 0) return
  state.after.forEach((position, a) => {
    if (state.partner[a] !== -1) return
    const queue = waiting.get(keyOf(position))
    if (queue === undefined || queue.next >= queue.items.length) return
    pair(state, queue.items[queue.next++]!, a, stage, null)
  })
}

/** Within each (code, unit) block, pairs the most similar descriptions first, as long as they reach the threshold. */
const matchFuzzy = (state: State, normalized: (p: Position) => string): void => {
  const blockOf = (p: Position): string | undefined =>
    p.code.trim() === "" ? undefined : p.code + SEP + normalizeUnit(p.unit)
  const blocks = new Map<string, { readonly befores: Array<number>; readonly afters: Array<number> }>()
  state.before.forEach((position, b) => {
    const key = state.taken[b] ? undefined : blockOf(position)
    if (key === undefined) return
    const block = blocks.get(key)
    if (block === undefined) blocks.set(key, { befores: [b], afters: [] })
    else block.befores.push(b)
  })
  if (blocks.size === 0) return
  state.after.forEach((position, a) => {
    const key = state.partner[a] === -1 ? blockOf(position) : undefined
    if (key !== undefined) blocks.get(key)?.afters.push(a)
  })
  const grams = new Map<Position, ReadonlySet<string>>()
  const gramsOf = (p: Position): ReadonlySet<string> => {
    let g = grams.get(p)
    if (g === undefined) {
      g = trigrams(normalized(p))
      grams.set(p, g)
    }
    return g
  }
  for (const { befores, afters } of blocks.values()) {
    if (afters.length === 0 || befores.length * afters.length > FUZZY_MAX_PAIRS_PER_BLOCK) continue
    const candidates: Array<{ readonly b: number; readonly a: number; readonly score: number }> = []
    for (const b of befores) {
      const bg = gramsOf(state.before[b]!)
      for (const a of afters) {
        const score = diceSimilarity(bg, gramsOf(state.after[a]!))
        if (score >= FUZZY_THRESHOLD) candidates.push({ b, a, score })
      }
    }
    // Ties break on the pair's two positions taken in canonical order, not on which list each came from, so
    // diff(a, b) and diff(b, a) pick the same pairs.
    const lowHigh = (c: { readonly b: number; readonly a: number }): readonly [Position, Position] => {
      const x = state.before[c.b]!
      const y = state.after[c.a]!
      return comparePositions(x, y) <= 0 ? [x, y] : [y, x]
    }
    candidates.sort((x, y) => {
      if (x.score !== y.score) return y.score - x.score
      const [xl, xh] = lowHigh(x)
      const [yl, yh] = lowHigh(y)
      return comparePositions(xl, yl) || comparePositions(xh, yh) || x.b - y.b || x.a - y.a
    })
    for (const { b, a, score } of candidates) {
      if (!state.taken[b] && state.partner[a] === -1) pair(state, b, a, "fuzzy", score)
    }
  }
}

const finish = (state: State): Matching => ({
  pairs: state.pairs,
  removed: state.before.filter((_, b) => !state.taken[b]),
  added: state.after.filter((_, a) => state.partner[a] === -1)
})
