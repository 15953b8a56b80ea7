// Reads a UNIXML document into a small element tree while streaming it: the content of every <polozka> inside
// <polozky>, and of every zdroj_* (the item descriptions), is captured straight into a flat record, without element
// objects, so a 100k-position file never builds millions of elements (building and collecting them cost more than
// the XML parse itself).
import { type ImportContext, importError } from "./ImportContext.ts"
import { detachText, scanXml, type XmlElement } from "./readXml.ts"

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
  /** The zdroj_* records of one kind directly inside `parent`, in document order. */
  readonly sourcesOf: (parent: XmlElement, kind: SourceKind) => ReadonlyArray<SourceRecord>
}

const NONE: ReadonlyArray<PositionRecord> = []

// Every text kept from the document is detached from it (see detachText).
const detach = detachText

type PositionField = "rowType" | "code" | "number" | "quantity" | "unitPrice" | "note"

// Switches rather than lookup tables: element names arrive as fresh strings, and comparing a few constants is
// cheaper than hashing each one (this runs for every element of every position).
const positionField = (name: string): PositionField | undefined => {
  switch (name) {
    case "typ_vety":
      return "rowType"
    case "kod_polozky":
      return "code"
    case "cislo_polozky":
      return "number"
    case "mnozstvi":
      return "quantity"
    case "jednotkova_cena":
      return "unitPrice"
    case "poznamka_polozky":
      return "note"
    default:
      return undefined
  }
}

type LineField = "kind" | "expression" | "figure"
const lineField = (name: string): LineField | undefined =>
  name === "vyraz" ? "expression" : name === "typ_radku" ? "kind" : name === "kod_figury" ? "figure" : undefined

/**
 * What a <polozka> holds, read as a tree would read it: the first child element of each field name (its text when it
 * has no child elements), and the take-off lines of the first <radky_vykazu_vymer> in the first <vykaz_vymer> — or,
 * when the position has no <vykaz_vymer>, of its own first <radky_vykazu_vymer>.
 */
class PositionCapture {
  readonly fields: Partial<Record<PositionField, string>> = {}
  /** Element names from the <polozka> down to the current element. */
  readonly path: Array<string> = []
  /** Whether each open element has a child element yet (its text only counts when it has none). */
  readonly hasChild: Array<boolean> = []
  text = ""
  seenVykaz = false
  vykazLines: Array<TakeoffRecord> | undefined
  directLines: Array<TakeoffRecord> | undefined
  /** The list the <radek_vykazu_vymer> elements being read go to, and the line being read. */
  target: Array<TakeoffRecord> | undefined
  line: Partial<Record<LineField, string>> | undefined
  private readingVykaz = false

  open(name: string): void {
    const depth = this.path.length
    if (depth > 0) this.hasChild[depth - 1] = true
    this.path.push(name)
    this.hasChild.push(false)
    this.text = ""
    if (depth === 0) {
      if (name === "vykaz_vymer") {
        this.readingVykaz = !this.seenVykaz
        this.seenVykaz = true
      } else if (name === "radky_vykazu_vymer" && this.directLines === undefined) this.target = this.directLines = []
    } else if (depth === 1 && name === "radky_vykazu_vymer" && this.readingVykaz && this.vykazLines === undefined) {
      this.target = this.vykazLines = []
    } else if (name === "radek_vykazu_vymer" && this.target !== undefined && this.isLinesDepth(depth)) this.line = {}
  }

  /** The depth of <radek_vykazu_vymer> elements in the list being read. */
  private isLinesDepth(depth: number): boolean {
    return (
      (depth === 1 && this.path[0] === "radky_vykazu_vymer") ||
      (depth === 2 && this.path[0] === "vykaz_vymer" && this.path[1] === "radky_vykazu_vymer")
    )
  }

  addText(text: string): void {
    if (!this.hasChild[this.path.length - 1]) this.text += text
  }

  close(): void {
    const depth = this.path.length - 1
    const name = this.path.pop()!
    const text = this.hasChild.pop() ? "" : detach(this.text.trim())
    this.text = ""
    if (depth === 0) {
      const field = positionField(name)
      if (field !== undefined) this.fields[field] ??= text
      else if (name === "vykaz_vymer") this.readingVykaz = false
      if (name === "radky_vykazu_vymer" || name === "vykaz_vymer") this.target = undefined
    } else if (depth === 1 && name === "radky_vykazu_vymer" && this.path[0] === "vykaz_vymer") this.target = undefined
    else if (this.line !== undefined) {
      if (name === "radek_vykazu_vymer" && this.isLinesDepth(depth)) {
        this.target?.push({
          kind: (this.line.kind ?? "").toUpperCase(),
          expression: this.line.expression ?? "",
          figure: this.line.figure ?? ""
        })
        this.line = undefined
      } else if (this.isLinesDepth(depth - 1)) {
        const field = lineField(name)
        if (field !== undefined) this.line[field] ??= text
      }
    }
  }

  record(): PositionRecord {
    const f = this.fields
    return {
      rowType: f.rowType ?? "",
      code: f.code ?? "",
      number: f.number ?? "",
      quantity: f.quantity ?? "",
      unitPrice: f.unitPrice ?? "",
      note: f.note ?? "",
      lines: (this.seenVykaz ? this.vykazLines : this.directLines) ?? []
    }
  }
}

/** The zdroj_* elements whose direct children are read as one flat record each (and not kept as elements). */
export type SourceKind = "zdroj_dil" | "zdroj_konstrukce" | "zdroj_material"

const sourceKind = (name: string): SourceKind | undefined =>
  name === "zdroj_konstrukce" || name === "zdroj_material" || name === "zdroj_dil" ? name : undefined

/** A zdroj_*: the text of each direct child element (the first of each name; "" when it has child elements). */
export type SourceRecord = ReadonlyMap<string, string>

/** Reads the direct children of one element as name → text. */
class SourceCapture {
  readonly kind: SourceKind
  readonly fields = new Map<string, string>()
  depth = 0
  private text = ""
  private childHasChild = false
  private name = ""

  constructor(kind: SourceKind) {
    this.kind = kind
  }

  open(name: string): void {
    this.depth++
    if (this.depth === 1) {
      this.name = name
      this.text = ""
      this.childHasChild = false
    } else this.childHasChild = true
  }

  addText(text: string): void {
    if (this.depth === 1 && !this.childHasChild) this.text += text
  }

  close(): void {
    if (this.depth === 1 && !this.fields.has(this.name))
      this.fields.set(this.name, this.childHasChild ? "" : detach(this.text.trim()))
    this.depth--
  }
}

const NO_SOURCES: ReadonlyArray<SourceRecord> = []

/**
 * Like readXmlTree (same limits and errors: at most `maxXmlElements` elements are read), except that positions and
 * zdroje come back as records, and that only elements without children keep their text — the only text UNIXML has.
 */
export const readUnixmlTree = (text: string, ctx: ImportContext): UnixmlTree => {
  const where = "UNIXML"
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" }
  const stack: Array<XmlElement> = [root]
  const positions = new Map<XmlElement, Array<PositionRecord>>()
  const sources = new Map<XmlElement, Map<SourceKind, Array<SourceRecord>>>()
  let capture: PositionCapture | undefined
  let source: SourceCapture | undefined
  let count = 0
  const max = ctx.limits.maxXmlElements
  scanXml(
    text,
    {
      open: (name, attributes) => {
        if (++count > max) throw importError(ctx, "too-large", `${where}: more than ${max} XML elements.`, { where })
        if (capture !== undefined) capture.open(name)
        else if (source !== undefined) source.open(name)
        else if (name === "polozka" && stack[stack.length - 1]!.name === "polozky") capture = new PositionCapture()
        else {
          const kind = sourceKind(name)
          if (kind !== undefined) source = new SourceCapture(kind)
          else {
            const element: XmlElement = { name, attributes, children: [], text: "" }
            stack[stack.length - 1]!.children.push(element)
            stack.push(element)
          }
        }
      },
      close: () => {
        if (capture !== undefined) {
          if (capture.path.length > 0) {
            capture.close()
            return
          }
          const polozky = stack[stack.length - 1]!
          const list = positions.get(polozky)
          if (list === undefined) positions.set(polozky, [capture.record()])
          else list.push(capture.record())
          capture = undefined
          return
        }
        if (source !== undefined) {
          if (source.depth > 0) {
            source.close()
            return
          }
          const parent = stack[stack.length - 1]!
          let byKind = sources.get(parent)
          if (byKind === undefined) {
            byKind = new Map()
            sources.set(parent, byKind)
          }
          const list = byKind.get(source.kind)
          if (list === undefined) byKind.set(source.kind, [source.fields])
          else list.push(source.fields)
          source = undefined
          return
        }
        const element = stack.pop()!
        if (element.children.length === 0) element.text = detach(element.text)
      },
      text: (t) => {
        if (capture !== undefined) {
          if (capture.path.length > 0) capture.addText(t)
          return
        }
        if (source !== undefined) {
          source.addText(t)
          return
        }
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
  return {
    root: top,
    positionsOf: (polozky) => positions.get(polozky) ?? NONE,
    sourcesOf: (parent, of) => sources.get(parent)?.get(of) ?? NO_SOURCES
  }
}
