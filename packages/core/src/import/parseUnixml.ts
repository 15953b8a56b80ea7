// KROS UNIXML 1.2: stavba → objekty/objekt (nested) → dily/dil (nested) → polozky/polozka, with descriptions, units and
// catalogues joined from each object's `zdroje` by item code, rounding from nastaveni/zaokrouhleni_rozpocet, and the
// take-off lines' values computed from their expressions and the object's figures (`figury`).
import * as Money from "../budget/Money.ts"
import { defaultBudgetSettings } from "../contracts/BudgetSettings.ts"
import type { ParsedBudget } from "../contracts/ParsedBudget.ts"
import { RoundingStep, type RoundingStep as RoundingStepType } from "../contracts/Rounding.ts"
import { BudgetBuilder, location } from "./BudgetBuilder.ts"
import { parseNumberText } from "./decimalText.ts"
import { type ImportContext, importError } from "./ImportContext.ts"
import { parseDate } from "./parseDate.ts"
import { type PositionRecord, readUnixmlTree, type SourceRecord, type UnixmlTree } from "./readUnixmlTree.ts"
import { childElement, childElements, childText, type XmlElement } from "./readXml.ts"
import { evaluateTakeoffLines } from "./unixmlTakeoff.ts"

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

const readSources = (tree: UnixmlTree, objekt: XmlElement, parent: Sources | null): Sources => {
  const sources: Sources = {
    sections: new Map(parent?.sections),
    works: new Map(parent?.works),
    materials: new Map(parent?.materials)
  }
  const zdroje = childElement(objekt, "zdroje")
  if (zdroje === undefined) return sources
  const field = (record: SourceRecord, name: string): string => record.get(name) ?? ""
  for (const d of tree.sourcesOf(childElement(zdroje, "zdroje_dily") ?? zdroje, "zdroj_dil"))
    sources.sections.set(field(d, "kod_dilu"), field(d, "nazev_dilu"))
  const item = (z: SourceRecord): ItemSource => ({
    shortDescription: field(z, "zkraceny_popis_polozky"),
    fullDescription: field(z, "plny_popis_polozky"),
    unit: field(z, "merna_jednotka"),
    catalog: field(z, "cenova_soustava")
  })
  for (const z of tree.sourcesOf(childElement(zdroje, "zdroje_konstrukce") ?? zdroje, "zdroj_konstrukce"))
    sources.works.set(field(z, "kod_polozky"), item(z))
  for (const z of tree.sourcesOf(childElement(zdroje, "zdroje_materialy") ?? zdroje, "zdroj_material"))
    sources.materials.set(field(z, "kod_polozky"), item(z))
  return sources
}

/** Figure measures by code ("F0005" → 100.8): the object's own over its parent's. */
type Figures = ReadonlyMap<string, Money.Money>
type FigureOf = (code: string) => Money.Money | undefined

const readFigures = (objekt: XmlElement, parent: Figures | null, quantityStep: Money.Money): Figures => {
  const figury = childElement(objekt, "figury")
  if (figury === undefined) return parent ?? new Map()
  const figures = new Map(parent)
  for (const figura of childElements(figury, "figura")) {
    const code = childText(figura, "kod_figury")
    // The measure KROS stores with the figure, else the sum of the figure's own take-off lines.
    const stated = parseNumberText(childText(figura, "vymera"), ",")
    const lines = childElements(childElement(figura, "vykaz_vymer_figury") ?? figura, "radek_vykazu_vymer_figury")
    const computed = evaluateTakeoffLines(
      lines.map((l) => ({
        kind: childText(l, "typ_radku").toUpperCase(),
        expression: childText(l, "vyraz"),
        figure: ""
      })),
      (name) => (name === code ? undefined : figures.get(name)),
      quantityStep
    ).flatMap((l) => (l.quantity === null ? [] : [l.quantity]))
    const value = stated ?? (computed.length > 0 ? Money.sum(computed) : undefined)
    if (code !== "" && value !== undefined) figures.set(code, value)
  }
  return figures
}

/** Children with 1-based XPath-like paths ("…/polozka[3]"). */
const indexed = (parent: XmlElement, name: string, path: string) =>
  childElements(parent, name).map((element, i) => ({ element, path: `${path}/${name}[${i + 1}]` }))

const readStep = (text: string, fallback: RoundingStepType): RoundingStepType => {
  const value = parseNumberText(text, ",")
  return value === undefined || value.units <= 0n ? fallback : RoundingStep.make(Money.formatAtLeast(value))
}

export const parseUnixml = (text: string, ctx: ImportContext): ParsedBudget => {
  const tree = readUnixmlTree(text, ctx)
  const root = tree.root
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

  const readNumber = (raw: string, name: string, path: string, position: number | null): Money.Money | null => {
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
  const quantityStep = Money.parseUnsafe(builder.settings.rounding.quantity)

  const readPosition = (
    polozka: PositionRecord,
    path: string,
    objectCode: string,
    sectionCode: string,
    sources: Sources,
    figure: FigureOf
  ) => {
    builder.rows.rows++
    builder.rows.positions++
    const rowType = polozka.rowType.toUpperCase()
    const code = polozka.code
    const primary = rowType === "M" ? sources.materials : sources.works
    const secondary = rowType === "M" ? sources.works : sources.materials
    const source = primary.get(code) ?? secondary.get(code)
    const description = source === undefined ? "" : source.shortDescription || source.fullDescription
    const index = builder.position({
      objectCode,
      sectionCode,
      number: polozka.number,
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
      readNumber(polozka.quantity, "mnozstvi", path, index),
      readNumber(polozka.unitPrice, "jednotkova_cena", path, index)
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
    if (polozka.quantity === "")
      builder.problem("missing-quantity", "The position has no quantity; 0 is assumed.", at, "", index)
    if (source !== undefined && source.fullDescription !== "" && source.fullDescription !== description)
      builder.note(index, source.fullDescription)
    builder.note(index, polozka.note)
    if (polozka.lines.length > 0)
      for (const line of evaluateTakeoffLines(polozka.lines, figure, quantityStep))
        builder.takeoff(index, line.text, line.quantity)
  }

  /** The positions of a <polozky> element, with their 1-based paths. */
  const readPositions = (
    polozky: XmlElement | undefined,
    path: string,
    objectCode: string,
    sectionCode: string,
    sources: Sources,
    figure: FigureOf
  ) => {
    if (polozky === undefined) return
    tree.positionsOf(polozky).forEach((record, i) => {
      readPosition(record, `${path}/polozky/polozka[${i + 1}]`, objectCode, sectionCode, sources, figure)
    })
  }

  const readSection = (
    dil: XmlElement,
    path: string,
    objectCode: string,
    parent: string | null,
    sources: Sources,
    figure: FigureOf
  ) => {
    const code = childText(dil, "kod_dilu")
    builder.section(objectCode, code, sources.sections.get(code) ?? "", parent)
    readPositions(childElement(dil, "polozky"), path, objectCode, code, sources, figure)
    const dily = childElement(dil, "dily")
    if (dily !== undefined)
      for (const d of indexed(dily, "dil", `${path}/dily`))
        readSection(d.element, d.path, objectCode, code, sources, figure)
  }

  const readObject = (objekt: XmlElement, path: string, parent: Sources | null, parentFigures: Figures | null) => {
    const code = childText(objekt, "kod_objektu")
    builder.object(code, childText(objekt, "nazev_objektu"))
    const sources = readSources(tree, objekt, parent)
    const figures = readFigures(objekt, parentFigures, quantityStep)
    const figure: FigureOf = (name) => figures.get(name)
    readPositions(childElement(objekt, "polozky"), path, code, "", sources, figure)
    const dily = childElement(objekt, "dily")
    if (dily !== undefined)
      for (const d of indexed(dily, "dil", `${path}/dily`)) readSection(d.element, d.path, code, null, sources, figure)
    const objekty = childElement(objekt, "objekty")
    if (objekty !== undefined)
      for (const o of indexed(objekty, "objekt", `${path}/objekty`)) readObject(o.element, o.path, sources, figures)
  }

  const objekty = childElement(stavba, "objekty")
  if (objekty !== undefined)
    for (const o of indexed(objekty, "objekt", "/unixml/stavba/objekty")) readObject(o.element, o.path, null, null)

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
