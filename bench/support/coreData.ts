// Seeded generators of large, realistic budgets for the core benchmarks: a 100k-position version, its next version
// with 1 % of the positions changed, and the same budget written as KROS UNIXML 1.2. Same seed, same bytes.
import * as Money from "../../packages/core/src/budget/Money.ts"
import type { DecimalString } from "../../packages/core/src/contracts/Decimal.ts"
import type { Position, TakeoffLine } from "../../packages/core/src/contracts/Position.ts"

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
export const seededRandom = (seed: number) => {
  let a = seed >>> 0
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Random = () => number
const pick = <A>(random: Random, items: ReadonlyArray<A>): A => items[Math.floor(random() * items.length)]!
const int = (random: Random, low: number, high: number): number => low + Math.floor(random() * (high - low + 1))

// Money.format output is always a valid DecimalString.
const dec = (m: Money.Money): DecimalString => Money.format(m) as DecimalString

interface CatalogItem {
  readonly code: string
  readonly description: string
  readonly unit: string
  readonly kind: "work" | "material"
  /** Typical unit price in hundredths. */
  readonly price: number
}

const WORKS: ReadonlyArray<readonly [string, string, string]> = [
  ["1211511", "Sejmutí ornice plochy do 500 m2 tl vrstvy do {n} mm strojně", "m2"],
  ["1321512", "Hloubení rýh nezapažených š do {n} mm v hornině třídy těžitelnosti I skupiny 1 a 2 strojně", "m3"],
  ["1622511", "Vodorovné přemístění přes {n} m výkopku/sypaniny z horniny třídy těžitelnosti I", "m3"],
  ["2743131", "Základové pasy z betonu tř. C 25/30 XC2 tl do {n} mm", "m3"],
  ["2743511", "Bednění základových pasů rovné zřízení výšky do {n} mm", "m2"],
  ["2743611", "Výztuž základových pasů z betonářské oceli 10 505 (B500B) průměru do {n} mm", "t"],
  ["3112381", "Zdivo nosné vnitřní z cihel broušených tl {n} mm na tenkovrstvou maltu", "m2"],
  ["4113211", "Stropy deskové ze železobetonu tř. C 30/37 XC1 tl {n} mm", "m3"],
  ["4113511", "Bednění stropů deskových zřízení výšky podepření do {n} m", "m2"],
  ["6112311", "Vápenocementová omítka štuková dvouvrstvá vnitřních stropů tl {n} mm", "m2"],
  ["7111411", "Provedení izolace proti zemní vlhkosti pásy přitavením vodorovné tl {n} mm", "m2"],
  ["7131311", "Montáž izolace tepelné stěn lepením celoplošně tl {n} mm", "m2"],
  ["7211741", "Potrubí z trubek polypropylenových odpadních svodných DN {n}", "m"],
  ["7624211", "Obložení stropu z desek OSB tl {n} mm broušených na pero a drážku", "m2"],
  ["7642141", "Oplechování horních ploch a nadezdívek z pozinkovaného plechu rš {n} mm", "m"],
  ["7661221", "Montáž zárubní dřevěných pro dveře jednokřídlové šířky do {n} mm", "kus"],
  ["7715741", "Montáž podlah keramických pro lepení flexibilním lepidlem do {n} ks/m2", "m2"],
  ["7811741", "Montáž obkladů vnitřních keramických hladkých do {n} ks/m2 lepenými", "m2"],
  ["7832141", "Základní nátěr tesařských prvků bezbarvý syntetický tl {n} μm", "m2"],
  ["9984111", "Přesun hmot pro budovy zděné výšky do {n} m", "t"]
]

const MATERIALS: ReadonlyArray<readonly [string, string, string]> = [
  ["583373", "štěrkopísek frakce 0/{n}", "t"],
  ["593408", "cihla broušená nosná tl {n} mm", "kus"],
  ["283760", "deska izolační PIR s oboustranným textilním rounem tl {n} mm", "m2"],
  ["607260", "deska OSB/3 broušená pero-drážka tl {n} mm", "m2"],
  ["597610", "dlaždice keramické slinuté hladké do interiéru přes {n} do 25 ks/m2", "m2"]
]

/** About 2,000 distinct catalogue items (9-digit ÚRS work codes, 8-digit material codes), fixed by the seed. */
const makeCatalog = (random: Random): ReadonlyArray<CatalogItem> => {
  const items: Array<CatalogItem> = []
  for (const [stem, text, unit] of WORKS)
    for (let i = 0; i < 85; i++)
      items.push({
        code: `${stem}${String(i).padStart(2, "0")}`,
        description: text.replace("{n}", String(50 + i * 10)),
        unit,
        kind: "work",
        price: int(random, 500, 250_000)
      })
  for (const [stem, text, unit] of MATERIALS)
    for (let i = 0; i < 60; i++)
      items.push({
        code: `${stem}${String(i).padStart(2, "0")}`,
        description: text.replace("{n}", String(4 + i * 2)),
        unit,
        kind: "material",
        price: int(random, 100, 500_000)
      })
  return items
}

const SECTIONS = ["1", "2", "3", "4", "6", "9", "711", "713", "721", "762", "764", "766", "771", "781", "783", "998"]
const OBJECTS = 20

const quantityStep = Money.make(1n, 3)
const totalStep = Money.make(1n, 2)

/** Take-off lines "a*b" whose values add up (within rounding) to the quantity, or none. */
const takeoffFor = (random: Random): { readonly lines: Array<TakeoffLine>; readonly quantity: Money.Money } => {
  const count = random() < 0.35 ? int(random, 1, 3) : 0
  if (count === 0) return { lines: [], quantity: Money.make(BigInt(int(random, 1, 2_000_000)), 3) }
  const lines: Array<TakeoffLine> = []
  let sum = Money.zero
  for (let i = 0; i < count; i++) {
    const a = Money.make(BigInt(int(random, 10, 9_999)), 2)
    const b = Money.make(BigInt(int(random, 10, 999)), 2)
    const value = Money.multiply(a, b)
    sum = Money.add(sum, value)
    const text = `${Money.format(a).replace(".", ",")}*${Money.format(b).replace(".", ",")}`
    lines.push({ text, quantity: dec(Money.normalize(value)) })
  }
  return { lines, quantity: Money.roundToStep(sum, quantityStep) }
}

const makePosition = (
  random: Random,
  catalog: ReadonlyArray<CatalogItem>,
  place: { readonly objectCode: string; readonly sectionCode: string; readonly number: number }
): Position => {
  const item = pick(random, catalog)
  const { lines, quantity } = takeoffFor(random)
  // A tenth of the prices move around the item's typical price, the rest are the catalogue price.
  const base = item.price
  const price = Money.make(
    BigInt(random() < 0.1 ? Math.max(1, base + int(random, -Math.floor(base / 5), Math.floor(base / 5))) : base),
    2
  )
  return {
    positionKey: `${place.objectCode}/${place.sectionCode}/${place.number}`,
    objectCode: place.objectCode,
    objectName: `Objekt ${place.objectCode}`,
    sectionCode: place.sectionCode,
    number: String(place.number),
    code: item.code,
    catalog: "CS ÚRS 2025 02",
    description: item.description,
    unit: item.unit,
    quantity: dec(quantity),
    unitPrice: dec(price),
    total: dec(Money.roundToStep(Money.multiply(quantity, price), totalStep)),
    takeoff: lines,
    note: random() < 0.05 ? "včetně dodávky a montáže" : "",
    kind: item.kind,
    source: "uploaded",
    status: "unaudited",
    confidence: null
  }
}

export interface GeneratedBudget {
  readonly catalog: ReadonlyArray<CatalogItem>
  readonly positions: ReadonlyArray<Position>
}

/** `count` positions over 20 objects of 16 sections each, numbered 1… per object, as KROS numbers them. */
export const generateBudget = (count: number, seed = 20_251_126): GeneratedBudget => {
  const random = seededRandom(seed)
  const catalog = makeCatalog(random)
  const positions: Array<Position> = []
  const perObject = Math.ceil(count / OBJECTS)
  for (let o = 0; o < OBJECTS && positions.length < count; o++) {
    const objectCode = `SO ${String(o + 1).padStart(2, "0")}`
    const n = Math.min(perObject, count - positions.length)
    for (let i = 0; i < n; i++) {
      const sectionCode = SECTIONS[Math.floor((i * SECTIONS.length) / n)]!
      positions.push(makePosition(random, catalog, { objectCode, sectionCode, number: i + 1 }))
    }
  }
  return { catalog, positions }
}

export interface ChangedVersion {
  readonly after: ReadonlyArray<Position>
  readonly counts: {
    readonly modified: number
    readonly removed: number
    readonly added: number
    readonly moved: number
  }
}

/**
 * The next version with `share` of the positions changed: 60 % of those get a new quantity or unit price (and
 * total), 15 % are removed, 15 % added, 10 % renumbered. Every position is a fresh object, as when two versions are
 * read from the database.
 */
export const changeVersion = (budget: GeneratedBudget, share = 0.01, seed = 7): ChangedVersion => {
  const random = seededRandom(seed)
  const before = budget.positions
  const changed = Math.round(before.length * share)
  const counts = {
    modified: Math.round(changed * 0.6),
    removed: Math.round(changed * 0.15),
    added: Math.round(changed * 0.15),
    moved: 0
  }
  counts.moved = changed - counts.modified - counts.removed - counts.added
  // Distinct victims: a seeded partial shuffle of the indices.
  const order = Array.from(before, (_, i) => i)
  for (let i = 0; i < changed; i++) {
    const j = i + Math.floor(random() * (order.length - i))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  const action = new Map<number, "modify" | "remove" | "move">()
  for (const i of order.slice(0, counts.modified)) action.set(i, "modify")
  for (const i of order.slice(counts.modified, counts.modified + counts.removed)) action.set(i, "remove")
  for (const i of order.slice(counts.modified + counts.removed, changed - counts.added)) action.set(i, "move")

  const after: Array<Position> = []
  before.forEach((p, i) => {
    const what = action.get(i)
    if (what === "remove") return
    const copy: Position = structuredClone(p)
    if (what === "modify") {
      const quantity = random() < 0.5 ? Money.make(BigInt(int(random, 1, 2_000_000)), 3) : Money.parseUnsafe(p.quantity)
      const price = Money.add(Money.parseUnsafe(p.unitPrice), Money.make(BigInt(int(random, 1, 5_000)), 2))
      after.push({
        ...copy,
        quantity: dec(quantity),
        unitPrice: dec(price),
        total: dec(Money.roundToStep(Money.multiply(quantity, price), totalStep))
      })
    } else if (what === "move") after.push({ ...copy, number: `${p.number}a` })
    else after.push(copy)
  })
  for (let i = 0; i < counts.added; i++) {
    const template = before[Math.floor(random() * before.length)]!
    const number = 1_000_000 + i
    const added = makePosition(random, budget.catalog, { ...template, number })
    after.push({ ...added, positionKey: `new/${number}` })
  }
  return { after, counts }
}

const comma = (text: string): string => text.replace(".", ",")
const xml = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** The budget as KROS UNIXML 1.2, with the fields KROS writes (one element a line, without indentation). */
export const toUnixml = (budget: GeneratedBudget): string => {
  const out: Array<string> = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<unixml format="unixml_cz" verze="1.2">',
    "<typ_souboru>SOUPIS_PRACI</typ_souboru>",
    "<stavba>",
    "<kod_stavby>BENCH-100K</kod_stavby>",
    "<nazev_stavby>Generated benchmark budget</nazev_stavby>",
    "<datum>26.11.2025</datum>",
    "<nastaveni><zaokrouhleni_rozpocet><jednotkova_cena>0,01</jednotkova_cena><mnozstvi>0,001</mnozstvi>" +
      "<celkova_cena>0,01</celkova_cena></zaokrouhleni_rozpocet><mena><mena_rozpocet>CZK</mena_rozpocet></mena></nastaveni>",
    "<objekty>"
  ]
  const byObject = new Map<string, Array<Position>>()
  for (const p of budget.positions) {
    const list = byObject.get(p.objectCode)
    if (list === undefined) byObject.set(p.objectCode, [p])
    else list.push(p)
  }
  for (const [objectCode, positions] of byObject) {
    out.push(
      "<objekt>",
      `<kod_objektu>${xml(objectCode)}</kod_objektu>`,
      `<nazev_objektu>Objekt ${objectCode}</nazev_objektu>`
    )
    out.push("<zdroje>", "<zdroje_dily>")
    for (const s of SECTIONS)
      out.push(
        `<zdroj_dil><kod_dilu>${s}</kod_dilu><nazev_dilu>Díl ${s}</nazev_dilu><typ_dilu>HSV</typ_dilu></zdroj_dil>`
      )
    out.push("</zdroje_dily>")
    const used = new Map(positions.map((p) => [p.code, p]))
    for (const kind of ["work", "material"] as const) {
      const tag = kind === "work" ? "zdroj_konstrukce" : "zdroj_material"
      out.push(kind === "work" ? "<zdroje_konstrukce>" : "<zdroje_materialy>")
      for (const item of budget.catalog) {
        if (item.kind !== kind || !used.has(item.code)) continue
        out.push(
          `<${tag}>`,
          `<kod_polozky>${item.code}</kod_polozky>`,
          `<zkraceny_popis_polozky>${xml(item.description)}</zkraceny_popis_polozky>`,
          "<plny_popis_polozky></plny_popis_polozky>",
          `<merna_jednotka>${item.unit}</merna_jednotka>`,
          "<jednotkova_hmotnost>0,00</jednotkova_hmotnost>",
          "<cenova_soustava>CS ÚRS 2025 02</cenova_soustava>",
          `</${tag}>`
        )
      }
      out.push(kind === "work" ? "</zdroje_konstrukce>" : "</zdroje_materialy>")
    }
    out.push("</zdroje>", "<dily>")
    let section: string | undefined
    for (const p of positions) {
      if (p.sectionCode !== section) {
        if (section !== undefined) out.push("</polozky>", "</dil>")
        section = p.sectionCode
        out.push("<dil>", `<kod_dilu>${section}</kod_dilu>`, "<dily></dily>", "<polozky>")
      }
      out.push(
        "<polozka>",
        `<typ_vety>${p.kind === "material" ? "M" : "K"}</typ_vety>`,
        "<typ_polozky>HSV</typ_polozky>",
        `<kod_polozky>${p.code}</kod_polozky>`,
        `<cislo_polozky>${p.number}</cislo_polozky>`,
        `<mnozstvi>${comma(p.quantity)}</mnozstvi>`,
        `<typ_mnozstvi>${p.takeoff.length > 0 ? "VV" : "NORMALNI"}</typ_mnozstvi>`
      )
      if (p.takeoff.length > 0) {
        out.push("<vykaz_vymer>", "<soucet_radku>NE</soucet_radku>", "<radky_vykazu_vymer>")
        for (const line of p.takeoff)
          out.push(
            "<radek_vykazu_vymer>",
            "<typ_radku>VYRAZ</typ_radku>",
            `<vyraz>${xml(line.text)}</vyraz>`,
            "<kod_figury></kod_figury>",
            "<prevzit_mnozstvi>ANO</prevzit_mnozstvi>",
            "</radek_vykazu_vymer>"
          )
        out.push("</radky_vykazu_vymer>", "</vykaz_vymer>")
      }
      out.push(
        `<jednotkova_cena>${comma(p.unitPrice)}</jednotkova_cena>`,
        "<jednotkova_cena_dodavky>0,00</jednotkova_cena_dodavky>",
        "<typ_sazby_dph>ZAKLADNI</typ_sazby_dph>",
        `<poznamka_polozky>${xml(p.note)}</poznamka_polozky>`,
        "<uzivatelske_zarazeni></uzivatelske_zarazeni>",
        "</polozka>"
      )
    }
    if (section !== undefined) out.push("</polozky>", "</dil>")
    out.push("</dily>", "</objekt>")
  }
  out.push("</objekty>", "</stavba>", "</unixml>")
  return out.join("\n")
}
