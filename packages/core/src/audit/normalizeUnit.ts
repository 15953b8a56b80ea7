// Units as written in Czech budgets vary ("m²", "M2", "kus", "ks."): one comparable form for unit checks.

const ALIASES: Readonly<Record<string, string>> = {
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

/** "m²" → "m2", " KS. " → "ks", "m^3" → "m3", "kus" → "ks"; "" stays "". */
export const normalizeUnit = (unit: string): string => {
  const compact = unit
    .trim()
    .toLowerCase()
    .replace(/\s+/g, "")
    .replace(/²/g, "2")
    .replace(/³/g, "3")
    .replace(/\^/g, "")
    .replace(/\.+$/, "")
  return ALIASES[compact] ?? compact
}
