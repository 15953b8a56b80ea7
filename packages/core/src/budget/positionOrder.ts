// The one deterministic order of positions and places: object, section, number, key — in natural order ("2" < "10").

export interface Placed {
  readonly objectCode: string
  readonly sectionCode: string
  readonly number: string
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57

/**
 * Compares strings so that digit runs compare by value ("SO 2" < "SO 10", "2" < "10"), everything else by UTF-16 code
 * unit (no locale: the same order on every runtime). Ties between equal values written differently ("01" vs "1") are
 * broken by plain comparison so the order stays total.
 */
export const compareNatural = (a: string, b: string): number => {
  if (a === b) return 0
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(j)
    if (isDigit(ca) && isDigit(cb)) {
      let si = i
      let sj = j
      while (si < a.length && a.charCodeAt(si) === 48) si++
      while (sj < b.length && b.charCodeAt(sj) === 48) sj++
      let ei = si
      let ej = sj
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++
      const lengthDiff = ei - si - (ej - sj)
      if (lengthDiff !== 0) return lengthDiff < 0 ? -1 : 1
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k)
        if (d !== 0) return d < 0 ? -1 : 1
      }
      i = ei
      j = ej
    } else {
      if (ca !== cb) return ca < cb ? -1 : 1
      i++
      j++
    }
  }
  if (i < a.length || j < b.length) return i < a.length ? 1 : -1
  return a < b ? -1 : a > b ? 1 : 0
}

export const comparePlaces = (a: Placed, b: Placed): number =>
  compareNatural(a.objectCode, b.objectCode) ||
  compareNatural(a.sectionCode, b.sectionCode) ||
  compareNatural(a.number, b.number)

/** Place, then key: a total order for positions with distinct keys. */
export const comparePositions = (a: Placed & { readonly positionKey: string }, b: typeof a): number =>
  comparePlaces(a, b) || compareNatural(a.positionKey, b.positionKey)
