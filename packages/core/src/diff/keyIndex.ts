// An index of positions by key in one typed array (open addressing over a 32-bit FNV-1a hash of the key), built
// only when every key is distinct. At 100k positions it costs half of a Set of the keys: no hash-table growth, no
// entry objects, and the answer to "are the keys unique?" comes with it.
import type { Position } from "../contracts/Position.ts"

export interface KeyIndex {
  /** Index in the list of the position with `key`, or -1. */
  readonly find: (key: string) => number
}

const hashKey = (key: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619)
  return h
}

/** The index of `positions` by key, or undefined when a key repeats. */
export const uniqueKeyIndex = (positions: ReadonlyArray<Position>): KeyIndex | undefined => {
  let size = 16
  while (size < positions.length * 2) size *= 2
  const mask = size - 1
  const slots = new Int32Array(size).fill(-1)
  for (let i = 0; i < positions.length; i++) {
    const key = positions[i]!.positionKey
    let slot = hashKey(key) & mask
    for (;;) {
      const at = slots[slot]!
      if (at === -1) {
        slots[slot] = i
        break
      }
      if (positions[at]!.positionKey === key) return undefined
      slot = (slot + 1) & mask
    }
  }
  return {
    find: (key) => {
      let slot = hashKey(key) & mask
      for (;;) {
        const at = slots[slot]!
        if (at === -1 || positions[at]!.positionKey === key) return at
        slot = (slot + 1) & mask
      }
    }
  }
}
