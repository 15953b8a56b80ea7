// KROS UNIXML 1.2 export: stavba with rounding and currency, objekty with their zdroje (descriptions, units and
// catalogues keyed by item code, as UNIXML requires) and díly nested by parent section, numbers with a decimal comma.
import type { Position, TakeoffLine } from "../contracts/Position.ts"
import { encodeUtf8 } from "../import/decodeText.ts"
import { evaluateTakeoff } from "../import/takeoffExpression.ts"
import type { GroupedBudget, ObjectGroup, SectionGroup } from "./groupBudget.ts"
import { escapeXml } from "./xmlText.ts"

const comma = (decimal: string): string => decimal.replace(".", ",")

const el = (name: string, text: string): string => `<${name}>${escapeXml(text)}</${name}>`

const czechDate = (iso: string | null): string => {
  const m = iso === null ? null : /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso)
  return m === null ? "" : `${m[3]}.${m[2]}.${m[1]}`
}

/** KROS part of a díl ("HSV", "PSV", "M"…) for typ_polozky; the top-level ancestor's code when it is one of those. */
const partOf = (object: ObjectGroup, section: SectionGroup): string => {
  let s: SectionGroup | undefined = section
  for (let guard = 0; s?.parentCode != null && guard < 32; guard++) {
    const parent: string = s.parentCode
    s = object.sections.find((x) => x.code === parent)
  }
  const top = s?.code ?? ""
  return ["HSV", "PSV", "M", "VRN", "OST", "HZS"].includes(top) ? top : "HSV"
}

// KROS's sum line ("Součet", "Mezisoučet").
const SUBTOTAL = /^\s*(mezi)?součet\b/iu

/**
 * A take-off line's typ_radku. UNIXML keeps a line's expression, not its value, and the importer computes the value
 * from it: a line without a value is a note (POZNAMKA), a sum line sums the lines above it (SOUCET), any other line
 * is an expression (VYRAZ).
 */
const lineKind = (line: TakeoffLine): string =>
  line.quantity === null ? "POZNAMKA" : SUBTOTAL.test(line.text) ? "SOUCET" : "VYRAZ"

// The importer writes a line that belongs to a figure as "F0001: 100,8" (kod_figury, then the expression).
const FIGURE_LINE = /^([\p{L}_][\p{L}\p{N}_]*): (.*)$/su

/** vyraz and kod_figury of a line: a figure's line is split back into its code and expression. */
const lineText = (line: TakeoffLine): string => {
  const figure = line.quantity === null ? null : FIGURE_LINE.exec(line.text)
  return figure === null
    ? `${el("vyraz", line.text)}<kod_figury></kod_figury>`
    : `${el("vyraz", figure[2]!)}${el("kod_figury", figure[1]!)}`
}

const position = (p: Position, part: string): string => {
  const takeoff =
    p.takeoff.length === 0
      ? ""
      : `<typ_mnozstvi>VV</typ_mnozstvi><vykaz_vymer>${el("soucet_radku", "NE")}<radky_vykazu_vymer>${p.takeoff
          .map(
            (l) =>
              `<radek_vykazu_vymer>${el("typ_radku", lineKind(l))}${lineText(l)}${el("prevzit_mnozstvi", "NE")}</radek_vykazu_vymer>`
          )
          .join("")}</radky_vykazu_vymer></vykaz_vymer>`
  return (
    `<polozka>${el("typ_vety", p.kind === "material" ? "M" : "K")}${el("typ_polozky", part)}${el("kod_polozky", p.code)}` +
    `${el("cislo_polozky", p.number)}${el("mnozstvi", comma(p.quantity))}` +
    `${takeoff === "" ? el("typ_mnozstvi", "ZADANE") : takeoff}${el("jednotkova_cena", comma(p.unitPrice))}` +
    `${el("jednotkova_cena_dodavky", "0,00")}${el("typ_sazby_dph", "ZAKLADNI")}${el("poznamka_polozky", p.note)}` +
    `<uzivatelske_zarazeni></uzivatelske_zarazeni></polozka>`
  )
}

const sources = (object: ObjectGroup): string => {
  // UNIXML keys descriptions by item code: the first position with a code defines it for the object.
  const works = new Map<string, Position>()
  const materials = new Map<string, Position>()
  for (const s of object.sections)
    for (const p of s.positions) {
      const map = p.kind === "material" ? materials : works
      if (!map.has(p.code)) map.set(p.code, p)
    }
  const item = (p: Position, extra: string) =>
    `${el("kod_polozky", p.code)}${el("zkraceny_popis_polozky", p.description)}<plny_popis_polozky></plny_popis_polozky>` +
    `${el("merna_jednotka", p.unit)}${el("jednotkova_hmotnost", "0,00")}${extra}${el("cenova_soustava", p.catalog)}`
  const dily = object.sections
    .filter((s) => s.code !== "")
    .map(
      (s) =>
        `<zdroj_dil>${el("kod_dilu", s.code)}${el("nazev_dilu", s.name)}${el("typ_dilu", partOf(object, s))}</zdroj_dil>`
    )
  return `<zdroje><zdroje_dily>${dily.join("")}</zdroje_dily><zdroje_konstrukce>${[...works.values()]
    .map((p) => `<zdroj_konstrukce>${item(p, "<jednotkova_sut>0,00</jednotkova_sut>")}</zdroj_konstrukce>`)
    .join("")}</zdroje_konstrukce><zdroje_materialy>${[...materials.values()]
    .map((p) => `<zdroj_material>${item(p, "")}</zdroj_material>`)
    .join("")}</zdroje_materialy></zdroje>`
}

const FIGURE_NAME = /^\p{L}[\p{L}\p{N}_]*$/u

/**
 * The object's figures, as far as the positions reveal them: a take-off line that is a bare name ("F0005") with a
 * value is a reference to a figure of that measure. Written so the importer resolves the line to the same value; a
 * name used with two different values stays undefined (the lines come back without a value).
 */
const figures = (object: ObjectGroup): string => {
  const found = new Map<string, string | null>()
  for (const s of object.sections)
    for (const p of s.positions)
      for (const line of p.takeoff) {
        if (line.quantity === null || !FIGURE_NAME.test(line.text) || evaluateTakeoff(line.text) !== undefined) continue
        const seen = found.get(line.text)
        if (seen === undefined) found.set(line.text, line.quantity)
        else if (seen !== null && seen !== line.quantity) found.set(line.text, null)
      }
  const defined = [...found].flatMap(([code, value]) => (value === null ? [] : [[code, value] as const]))
  return defined.length === 0
    ? ""
    : `<figury>${defined
        .map(
          ([code, value]) =>
            `<figura>${el("kod_figury", code)}${el("typ_figury", "VLASTNI")}${el("vymera", comma(value))}</figura>`
        )
        .join("")}</figury>`
}

/** A díl with its children; `emitted` makes every section appear once even if parent links form a cycle. */
const sectionXml = (object: ObjectGroup, section: SectionGroup, emitted: Set<string>): string => {
  emitted.add(section.code)
  const children = object.sections.filter((s) => s.parentCode === section.code && !emitted.has(s.code))
  const part = partOf(object, section)
  const childXml = children.map((c) => (emitted.has(c.code) ? "" : sectionXml(object, c, emitted))).join("")
  return (
    `<dil>${el("kod_dilu", section.code)}<dily>${childXml}</dily>` +
    `<polozky>${section.positions.map((p) => position(p, part)).join("")}</polozky></dil>`
  )
}

const objectXml = (object: ObjectGroup, date: string): string => {
  const known = new Set(object.sections.map((s) => s.code))
  const emitted = new Set<string>([""])
  const dily: Array<string> = []
  for (const s of object.sections)
    if (!emitted.has(s.code) && (s.parentCode === null || !known.has(s.parentCode)))
      dily.push(sectionXml(object, s, emitted))
  // Sections whose parents only lead round in a circle are written at the top level.
  for (const s of object.sections) if (!emitted.has(s.code)) dily.push(sectionXml(object, s, emitted))
  const loose = object.sections.find((s) => s.code === "")?.positions ?? []
  return (
    `<objekt>${el("kod_objektu", object.code)}${el("nazev_objektu", object.name)}${el("typ_zakazky", "STAVEBNI_OBJEKT")}` +
    `${el("datum", date)}${sources(object)}${figures(object)}<dily>${dily.join("")}</dily>` +
    `<polozky>${loose.map((p) => position(p, "HSV")).join("")}</polozky><objekty></objekty></objekt>`
  )
}

export const exportUnixml = (budget: GroupedBudget): Uint8Array => {
  const r = budget.settings.rounding
  const date = czechDate(budget.date)
  const xml =
    `<?xml version="1.0" encoding="utf-8"?>\r\n<unixml format="unixml_cz" verze="1.2">` +
    `${el("typ_souboru", "SOUPIS_PRACI")}${el("rozsah_exportu", "CELA_STAVBA")}${el("zdroj", "Costline")}<stavba>` +
    `${el("kod_stavby", budget.code)}${el("nazev_stavby", budget.name)}${el("datum", date)}<nastaveni>` +
    `<zaokrouhleni_rozpocet>${el("jednotkova_cena", comma(r.unitPrice))}${el("mnozstvi", comma(r.quantity))}` +
    `${el("celkova_cena", comma(r.total))}</zaokrouhleni_rozpocet><mena>${el("mena_rozpocet", budget.settings.currency)}</mena>` +
    `</nastaveni><objekty>${budget.objects.map((o) => objectXml(o, date)).join("")}</objekty></stavba></unixml>\r\n`
  return encodeUtf8(xml)
}
