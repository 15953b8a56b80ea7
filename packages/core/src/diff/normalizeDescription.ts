// Normalises a position description for matching: no diacritics, lower case, punctuation as spaces, single spaces.

const MARKS = /\p{M}+/gu
const NON_ALNUM = /[^\p{L}\p{N}]+/gu

/** "Beton  tř. C25/30 – základy" → "beton tr c25 30 zaklady". */
export const normalizeDescription = (description: string): string =>
  description.normalize("NFD").replace(MARKS, "").toLowerCase().replace(NON_ALNUM, " ").trim()
