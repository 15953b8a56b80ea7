// KROS UNIXML 1.2: stavba → objekty/objekt (nested) → dily/dil (nested) → polozky/polozka, with descriptions, units and
// catalogues joined from each object's `zdroje` by item code, rounding from nastaveni/zaokrouhleni_rozpocet.
import { defaultBudgetSettings } from "../contracts/BudgetSettings.ts"
import type { ParsedBudget } from "../contracts/ParsedBudget.ts"
import { RoundingStep, type RoundingStep as RoundingStepType } from "../contracts/Rounding.ts"
import { BudgetBuilder, location } from "./BudgetBuilder.ts"
import { type Dec, format, parseNumberText } from "./decimalText.ts"
import { type ImportContext, importError } from "./ImportContext.ts"
import { parseDate } from "./parseDate.ts"
import { childElement, childElements, childText, readXmlTree, type XmlElement } from "./readXml.ts"

interface ItemSource {
  readonly shortDescription: string
  readonly fullDescription: string
  readonly unit: string
  readonly catalog: string
}

interface Sources {
  readonly sections: Map<string, string>
  readonly works: Map<string, ItemSource>
  readonly materials: Map<string, ItemSource>
}

const readSources = (objekt: XmlElement, parent: Sources | null): Sources => {
  const sources: Sources = {
    sections: new Map(parent?.sections),
    works: new Map(parent?.works),
    materials: new Map(parent?.materials)
  }
  const zdroje = childElement(objekt, "zdroje")
  if (zdroje === undefined) return sources
  for (const d of childElements(childElement(zdroje, "zdroje_dily") ?? zdroje, "zdroj_dil"))
    sources.sections.set(childText(d, "kod_dilu"), childText(d, "nazev_dilu"))
  const item = (z: XmlElement): ItemSource => ({
    shortDescription: childText(z, "zkraceny_popis_polozky"),
    fullDescription: childText(z, "plny_popis_polozky"),
    unit: childText(z, "merna_jednotka"),
    catalog: childText(z, "cenova_soustava")
  })
  for (const z of childElements(childElement(zdroje, "zdroje_konstrukce") ?? zdroje, "zdroj_konstrukce"))
    sources.works.set(childText(z, "kod_polozky"), item(z))
  for (const z of childElements(childElement(zdroje, "zdroje_materialy") ?? zdroje, "zdroj_material"))
    sources.materials.set(childText(z, "kod_polozky"), item(z))
  return sources
}

/** Children with 1-based XPath-like paths ("…/polozka[3]"). */
const indexed = (parent: XmlElement, name: string, path: string) =>
  childElements(parent, name).map((element, i) => ({ element, path: `${path}/${name}[${i + 1}]` }))

const readStep = (text: string, fallback: RoundingStepType): RoundingStepType => {
  const value = parseNumberText(text, ",")
  return value === undefined || value.units <= 0n ? fallback : RoundingStep.make(format(value))
}

export const parseUnixml = (text: string, ctx: ImportContext): ParsedBudget => {
  const root = readXmlTree(text, ctx, "UNIXML")
  if (root.name !== "unixml")
    throw importError(ctx, "unsupported-format", `Expected a <unixml> document, found <${root.name}>.`)
  const stavba = childElement(root, "stavba")
  if (stavba === undefined)
    throw importError(ctx, "malformed", "The UNIXML file has no <stavba> element.", { where: "/unixml" })
  const nastaveni = childElement(stavba, "nastaveni")
  const rounding = nastaveni === undefined ? undefined : childElement(nastaveni, "zaokrouhleni_rozpocet")
  const defaults = defaultBudgetSettings.rounding
  const currency =
    nastaveni === undefined ? "" : childText(childElement(nastaveni, "mena") ?? nastaveni, "mena_rozpocet")
  const builder = new BudgetBuilder({
    currency: /^[A-Z]{3}$/.test(currency) ? currency : defaultBudgetSettings.currency,
    rounding:
      rounding === undefined
        ? defaults
        : {
            quantity: readStep(childText(rounding, "mnozstvi"), defaults.quantity),
            unitPrice: readStep(childText(rounding, "jednotkova_cena"), defaults.unitPrice),
            total: readStep(childText(rounding, "celkova_cena"), defaults.total),
            mode: "half-up"
          }
  })

  const readNumber = (element: XmlElement, name: string, path: string, position: number | null): Dec | null => {
    const raw = childText(element, name)
    if (raw === "") return null
    const value = parseNumberText(raw, ",")
    if (value === undefined)
      builder.problem(
        "unparseable-number",
        `"${raw}" is not a number; read as empty.`,
        location({ path: `${path}/${name}` }),
        raw,
        position
      )
    return value ?? null
  }

  const readPosition = (
    polozka: XmlElement,
    path: string,
    objectCode: string,
    sectionCode: string,
    sources: Sources
  ) => {
    builder.rows.rows++
    builder.rows.positions++
    const rowType = childText(polozka, "typ_vety").toUpperCase()
    const code = childText(polozka, "kod_polozky")
    const primary = rowType === "M" ? sources.materials : sources.works
    const secondary = rowType === "M" ? sources.works : sources.materials
    const source = primary.get(code) ?? secondary.get(code)
    const description = source === undefined ? "" : source.shortDescription || source.fullDescription
    const index = builder.position({
      objectCode,
      sectionCode,
      number: childText(polozka, "cislo_polozky"),
      code,
      catalog: source?.catalog ?? "",
      description,
      unit: source?.unit ?? "",
      quantity: null,
      unitPrice: null,
      total: null,
      kind: rowType === "M" ? "material" : "work",
      location: location({ path })
    })
    // Numbers are read after the position exists so their problems point at it.
    builder.setAmounts(
      index,
      readNumber(polozka, "mnozstvi", path, index),
      readNumber(polozka, "jednotkova_cena", path, index)
    )
    const at = location({ path })
    if (rowType !== "K" && rowType !== "M")
      builder.problem("unknown-row-type", `Unknown typ_vety "${rowType}"; imported as a work item.`, at, rowType, index)
    if (source === undefined)
      builder.problem(
        "missing-source",
        `No zdroj in <zdroje> for item code "${code}": no description or unit.`,
        at,
        code,
        index
      )
    else if (source.unit === "")
      builder.problem("missing-unit", "The position has no unit (merna_jednotka).", at, "", index)
    if (childText(polozka, "mnozstvi") === "")
      builder.problem("missing-quantity", "The position has no quantity; 0 is assumed.", at, "", index)
    if (source !== undefined && source.fullDescription !== "" && source.fullDescription !== description)
      builder.note(index, source.fullDescription)
    builder.note(index, childText(polozka, "poznamka_polozky"))
    const lines = childElement(childElement(polozka, "vykaz_vymer") ?? polozka, "radky_vykazu_vymer")
    for (const line of lines === undefined ? [] : childElements(lines, "radek_vykazu_vymer")) {
      const figure = childText(line, "kod_figury")
      const expression = childText(line, "vyraz")
      builder.takeoff(index, figure === "" ? expression : `${figure}: ${expression}`, null)
    }
  }

  const readSection = (dil: XmlElement, path: string, objectCode: string, parent: string | null, sources: Sources) => {
    const code = childText(dil, "kod_dilu")
    builder.section(objectCode, code, sources.sections.get(code) ?? "", parent)
    const polozky = childElement(dil, "polozky")
    if (polozky !== undefined)
      for (const p of indexed(polozky, "polozka", `${path}/polozky`))
        readPosition(p.element, p.path, objectCode, code, sources)
    const dily = childElement(dil, "dily")
    if (dily !== undefined)
      for (const d of indexed(dily, "dil", `${path}/dily`)) readSection(d.element, d.path, objectCode, code, sources)
  }

  const readObject = (objekt: XmlElement, path: string, parent: Sources | null) => {
    const code = childText(objekt, "kod_objektu")
    builder.object(code, childText(objekt, "nazev_objektu"))
    const sources = readSources(objekt, parent)
    const polozky = childElement(objekt, "polozky")
    if (polozky !== undefined)
      for (const p of indexed(polozky, "polozka", `${path}/polozky`)) readPosition(p.element, p.path, code, "", sources)
    const dily = childElement(objekt, "dily")
    if (dily !== undefined)
      for (const d of indexed(dily, "dil", `${path}/dily`)) readSection(d.element, d.path, code, null, sources)
    const objekty = childElement(objekt, "objekty")
    if (objekty !== undefined)
      for (const o of indexed(objekty, "objekt", `${path}/objekty`)) readObject(o.element, o.path, sources)
  }

  const objekty = childElement(stavba, "objekty")
  if (objekty !== undefined)
    for (const o of indexed(objekty, "objekt", "/unixml/stavba/objekty")) readObject(o.element, o.path, null)

  return builder.build({
    format: "unixml",
    fileName: ctx.fileName,
    layout: "kros",
    code: childText(stavba, "kod_stavby"),
    name: childText(stavba, "nazev_stavby"),
    date: parseDate(childText(stavba, "datum")),
    sheets: []
  })
}
