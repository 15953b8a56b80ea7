// Reads a UNIXML document into a small element tree while streaming it: every <polozka> inside <polozky> is reduced
// to a flat PositionRecord when it closes and its elements are dropped, so a 100k-position file never holds millions
// of elements at once (the tree would cost more time in garbage collection than the parse itself).
import { type ImportContext, importError } from "./ImportContext.ts"
import { childElement, childElements, childText, scanXml, type XmlElement } from "./readXml.ts"

/** One vykaz_vymer line as written. */
export interface TakeoffRecord {
  /** typ_radku: VYRAZ (an expression), SOUCET (sum of the lines above), POZNAMKA (a note); "" when absent. */
  readonly kind: string
  readonly expression: string
  readonly figure: string
}

/** The fields of a <polozka> the importer reads, trimmed; "" for an absent element. */
export interface PositionRecord {
  readonly rowType: string
  readonly code: string
  readonly number: string
  readonly quantity: string
  readonly unitPrice: string
  readonly note: string
  readonly lines: ReadonlyArray<TakeoffRecord>
}

export interface UnixmlTree {
  readonly root: XmlElement
  /** The positions of a <polozky> element, in document order. */
  readonly positionsOf: (polozky: XmlElement) => ReadonlyArray<PositionRecord>
}

const NONE: ReadonlyArray<PositionRecord> = []

const toRecord = (polozka: XmlElement): PositionRecord => {
  const lines = childElement(childElement(polozka, "vykaz_vymer") ?? polozka, "radky_vykazu_vymer")
  return {
    rowType: childText(polozka, "typ_vety"),
    code: childText(polozka, "kod_polozky"),
    number: childText(polozka, "cislo_polozky"),
    quantity: childText(polozka, "mnozstvi"),
    unitPrice: childText(polozka, "jednotkova_cena"),
    note: childText(polozka, "poznamka_polozky"),
    lines:
      lines === undefined
        ? []
        : childElements(lines, "radek_vykazu_vymer").map((line) => ({
            kind: childText(line, "typ_radku").toUpperCase(),
            expression: childText(line, "vyraz"),
            figure: childText(line, "kod_figury")
          }))
  }
}

/**
 * Like readXmlTree (same limits and errors: at most `maxXmlElements` elements are read), except that positions come
 * back as records and that only elements without children keep their text — the only text UNIXML carries.
 */
export const readUnixmlTree = (text: string, ctx: ImportContext): UnixmlTree => {
  const where = "UNIXML"
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" }
  const stack: Array<XmlElement> = [root]
  const positions = new Map<XmlElement, Array<PositionRecord>>()
  let count = 0
  const max = ctx.limits.maxXmlElements
  scanXml(
    text,
    {
      open: (name, attributes) => {
        if (++count > max) throw importError(ctx, "too-large", `${where}: more than ${max} XML elements.`, { where })
        const element: XmlElement = { name, attributes, children: [], text: "" }
        stack[stack.length - 1]!.children.push(element)
        stack.push(element)
      },
      close: (name) => {
        const element = stack.pop()!
        const parent = stack[stack.length - 1]!
        if (name === "polozka" && parent.name === "polozky") {
          // It is the parent's last child: replace it by its record.
          parent.children.pop()
          const list = positions.get(parent)
          if (list === undefined) positions.set(parent, [toRecord(element)])
          else list.push(toRecord(element))
        }
      },
      text: (t) => {
        const top = stack[stack.length - 1]!
        if (top.children.length === 0) top.text += t
      }
    },
    ctx,
    where
  )
  const top = root.children[0]
  if (top === undefined)
    throw importError(ctx, "malformed", `${where}: the XML document has no root element.`, { where })
  return { root: top, positionsOf: (polozky) => positions.get(polozky) ?? NONE }
}
