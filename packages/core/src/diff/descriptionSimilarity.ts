// Description similarity for the fuzzy matching stage: Sørensen–Dice coefficient over word trigrams.
// Trigrams are taken per word of the normalised description, each word padded as "  word " (as PostgreSQL pg_trgm
// does), so word order matters little and short words still count. 1 means the same trigram set, 0 nothing shared.

/** The set of padded word trigrams of an already normalised description. */
export const trigrams = (normalized: string): ReadonlySet<string> => {
  const grams = new Set<string>()
  for (const word of normalized.split(" ")) {
    if (word.length === 0) continue
    const padded = `  ${word} `
    for (let i = 0; i + 3 <= padded.length; i++) grams.add(padded.slice(i, i + 3))
  }
  return grams
}

/** 2·|A ∩ B| / (|A| + |B|); two empty sets are equal (1). */
export const diceSimilarity = (a: ReadonlySet<string>, b: ReadonlySet<string>): number => {
  if (a.size === 0 && b.size === 0) return 1
  const [small, large] = a.size <= b.size ? [a, b] : [b, a]
  let shared = 0
  for (const gram of small) if (large.has(gram)) shared++
  return (2 * shared) / (a.size + b.size)
}
