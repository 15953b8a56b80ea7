// The TSKP classifier ("Třídík stavebních konstrukcí a prací") in memory, and the rule that says whether a
// budget position's catalogue code belongs to one of its classes.
//
// The rule, chosen after measuring the real catalogue (2025-01, 11,991 numeric IDs of 1–5 digits) against
// real budgets: ÚRS work codes (9 digits, e.g. 121151113) share their first 3–5 digits with a TSKP class
// (12115 "Sejmutí ornice … strojně"); OTSKP codes (5–6 digits, e.g. 014102, 02710) often match only at the
// 2-digit group level (01, 02), because OTSKP subdivides differently below it. So the code's "stem" (its
// leading digits, after one leading "R" that marks a custom item derived from a catalogue item, e.g.
// "R317121224.XELLA") must start with a TSKP ID of at least `minMatchLength` digits, default 2. One digit
// is never enough: the ten 1-digit classes 0–9 would accept any number. Material codes (KSM, e.g. 55350281)
// come from another classifier and are not judged against TSKP (see standardsExpert).
import { Option } from "effect"

export interface TskpItem {
  readonly id: string
  readonly name: string
  readonly parentId: string | null
}

export interface TskpClassifier {
  /** Edition as written in the file, e.g. "2025-01 v1"; null when absent. */
  readonly edition: string | null
  readonly size: number
  readonly get: (id: string) => Option.Option<TskpItem>
  /** The deepest class whose ID is a prefix of `stem` (a string of digits). */
  readonly deepestPrefix: (stem: string) => Option.Option<TskpItem>
}

export const defaultTskpMinMatchLength = 2

export const makeTskpClassifier = (items: Iterable<TskpItem>, edition: string | null = null): TskpClassifier => {
  const byId = new Map<string, TskpItem>()
  let longest = 0
  for (const item of items) {
    byId.set(item.id, item)
    longest = Math.max(longest, item.id.length)
  }
  return {
    edition,
    size: byId.size,
    get: (id) => Option.fromUndefinedOr(byId.get(id)),
    deepestPrefix: (stem) => {
      for (let n = Math.min(longest, stem.length); n > 0; n--) {
        const item = byId.get(stem.slice(0, n))
        if (item !== undefined) return Option.some(item)
      }
      return Option.none()
    }
  }
}

/** Leading digits of a catalogue code, after one leading "R" (custom item); "" when it has none ("ZS", "PKB.7"). */
export const codeStem = (code: string): string => {
  const trimmed = code.trim()
  const body = /^[Rr]\d/.test(trimmed) ? trimmed.slice(1) : trimmed
  return /^\d*/.exec(body)?.[0] ?? ""
}

export type TskpCodeCheck =
  | { readonly _tag: "Classified"; readonly stem: string; readonly item: TskpItem }
  /** The stem matches no class, or only one shallower than the minimum (`item` then is that shallow class). */
  | { readonly _tag: "Unclassified"; readonly stem: string; readonly item: Option.Option<TskpItem> }
  | { readonly _tag: "NoDigits" }

export const checkTskpCode = (
  classifier: TskpClassifier,
  code: string,
  minMatchLength: number = defaultTskpMinMatchLength
): TskpCodeCheck => {
  const stem = codeStem(code)
  if (stem === "") return { _tag: "NoDigits" }
  const item = classifier.deepestPrefix(stem)
  return Option.isSome(item) && item.value.id.length >= minMatchLength
    ? { _tag: "Classified", stem, item: item.value }
    : { _tag: "Unclassified", stem, item }
}
