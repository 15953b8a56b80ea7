// Units of measure accepted in Czech budgets, how a written unit ("M²", "Kus", "m3 ") is normalised, and which
// spellings name the same unit ("kus" and "ks", "bm" and "m") when units are compared.

/**
 * Accepted units in their normalised (lower-case, ASCII exponent) form. Lengths: mm, cm, m, bm (běžný metr),
 * hm (hektometr, OTSKP), km; areas: m2, ha; volumes: m3, m3op (m³ obestavěného prostoru), l, litr; masses: g, kg, t;
 * counts: ks, kus, pár, sada, soubor, kpl (komplet); time: h, hod, mh (motohodina), nh (normohodina), den, týden,
 * měs, rok; money and shares: kč, czk, eur, % (přesun hmot, VRN percentages).
 */
export const acceptedUnits: ReadonlyArray<string> = [
  "mm",
  "cm",
  "m",
  "bm",
  "hm",
  "km",
  "m2",
  "ha",
  "m3",
  "m3op",
  "l",
  "litr",
  "g",
  "kg",
  "t",
  "ks",
  "kus",
  "pár",
  "sada",
  "soubor",
  "kpl",
  "h",
  "hod",
  "mh",
  "nh",
  "den",
  "týden",
  "měs",
  "rok",
  "kč",
  "czk",
  "eur",
  "%"
]

const accepted: ReadonlySet<string> = new Set(acceptedUnits)

/**
 * Normalises a written unit: trims, lower-cases, writes exponents as digits (m² → m2, m^3 → m3), drops inner spaces
 * and a trailing dot ("ks." → "ks"). Unknown units come back normalised the same way, not rejected.
 */
export const normalizeUnit = (unit: string): string =>
  unit.trim().toLowerCase().replace(/²/g, "2").replace(/³/g, "3").replace(/[\s^]/g, "").replace(/\.+$/, "")

/** The normalised unit when it is accepted, undefined otherwise. */
export const acceptUnit = (unit: string): string | undefined => {
  const normalized = normalizeUnit(unit)
  return accepted.has(normalized) ? normalized : undefined
}

/** Spellings of one unit that budgets use side by side; the key is what `normalizeUnit` makes of them. */
const SAME_UNIT: Readonly<Record<string, string>> = {
  kus: "ks",
  kusy: "ks",
  kusů: "ks",
  pc: "ks",
  pcs: "ks",
  tuna: "t",
  tun: "t",
  bm: "m",
  mb: "m"
}

/**
 * One comparable form per unit: `normalizeUnit`, then aliases folded ("kus" → "ks", "bm" → "m", "tuna" → "t").
 * For checks that ask "is this the same unit" (duplicates, usual units, concrete volumes); "" stays "".
 */
export const unitKey = (unit: string): string => {
  const normalized = normalizeUnit(unit)
  return SAME_UNIT[normalized] ?? normalized
}

/**
 * `unitKey` remembered per written unit, for one pass over a budget: thousands of positions share a handful of units,
 * so each is normalized once.
 */
export const memoUnitKey = (): ((unit: string) => string) => {
  const keys = new Map<string, string>()
  return (unit) => {
    let key = keys.get(unit)
    if (key === undefined) {
      key = unitKey(unit)
      keys.set(unit, key)
    }
    return key
  }
}
