// Decides the positions a new import becomes: each imported position that matches one already in the budget (by key,
// by place, by content, or fuzzily — core's matching) takes over that position's key, so history and audit verdicts
// follow it; a position whose content did not change keeps its audit status.
import { type Position, positionFingerprint } from "@costline/core"
import { matchPositions } from "@costline/core/diff/matchPositions"

export const mergeImport = (
  current: ReadonlyArray<Position>,
  imported: ReadonlyArray<Position>
): ReadonlyArray<Position> => {
  const matching = matchPositions(current, imported)
  const keyOf = new Map<Position, Position>()
  for (const pair of matching.pairs) keyOf.set(pair.after, pair.before)
  const taken = new Set(matching.pairs.map((pair) => pair.before.positionKey))
  const uniqueKey = (key: string) => {
    if (!taken.has(key)) return key
    let n = 2
    while (taken.has(`${key}~${n}`)) n++
    return `${key}~${n}`
  }
  return imported.map((position) => {
    const before = keyOf.get(position)
    if (before === undefined) {
      const key = uniqueKey(position.positionKey)
      taken.add(key)
      return key === position.positionKey ? position : { ...position, positionKey: key }
    }
    const unchanged = positionFingerprint(before) === positionFingerprint(position)
    return {
      ...position,
      positionKey: before.positionKey,
      status: unchanged ? before.status : position.status,
      confidence: unchanged ? before.confidence : position.confidence
    }
  })
}
