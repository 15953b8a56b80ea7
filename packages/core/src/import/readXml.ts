// Safe XML reading for UNIXML, the XLSX parts and the TSKP catalogue, on the saxes streaming parser: no entity
// expansion (a DOCTYPE that declares entities is rejected before any is used), a nesting-depth cap, and an
// element-count cap for trees.
import { SaxesParser } from "saxes"
import { type ImportContext, importError } from "./ImportContext.ts"

export interface XmlHandlers {
  /** `line` is the 1-based line the start tag ends on, for messages. */
  readonly open?: (name: string, attributes: Readonly<Record<string, string>>, line: number) => void
  readonly close?: (name: string) => void
  readonly text?: (text: string) => void
}

/** Why a document is refused: it declares entities, nests too deep, or is not well-formed. */
export type XmlFault = "unsafe-xml" | "too-deep" | "malformed"

export interface XmlReadOptions {
  readonly maxDepth: number
  /** Builds the error thrown when the document is refused; the message names the problem and its line. */
  readonly fail: (fault: XmlFault, message: string) => unknown
}

/** Drops a namespace prefix ("x:row" → "row"): some XLSX writers prefix the SpreadsheetML namespace. */
const localName = (name: string): string => {
  const i = name.indexOf(":")
  return i < 0 ? name : name.slice(i + 1)
}

/**
 * Streams an XML document through handlers; throws what `options.fail` builds for unsafe, too deep or malformed
 * input. Every XML reader of core goes through here (UNIXML, XLSX parts, the TSKP catalogue).
 */
export const streamXml = (text: string, handlers: XmlHandlers, options: XmlReadOptions): void => {
  const parser = new SaxesParser({ position: true, xmlns: false })
  const maxDepth = options.maxDepth
  let depth = 0
  parser.on("doctype", (doctype) => {
    // Entities are how billion-laughs and external-entity attacks start; none of our formats needs them.
    if (/<!ENTITY/i.test(doctype))
      throw options.fail("unsafe-xml", "the XML declares entities in a DOCTYPE, which is not accepted")
  })
  parser.on("opentag", (tag) => {
    depth++
    if (depth > maxDepth)
      throw options.fail("too-deep", `XML elements are nested deeper than ${maxDepth} levels (line ${parser.line})`)
    if (handlers.open !== undefined) handlers.open(localName(tag.name), tag.attributes, parser.line)
  })
  parser.on("closetag", (tag) => {
    depth--
    if (handlers.close !== undefined) handlers.close(localName(tag.name))
  })
  if (handlers.text !== undefined) {
    parser.on("text", handlers.text)
    parser.on("cdata", handlers.text)
  }
  parser.on("error", (error) => {
    throw options.fail("malformed", `not well-formed XML: ${error.message}`)
  })
  parser.write(text).close()
}

/** `streamXml` for importers: the import's depth limit, failures as ImportError naming `where`. */
export const scanXml = (text: string, handlers: XmlHandlers, ctx: ImportContext, where: string): void =>
  streamXml(text, handlers, {
    maxDepth: ctx.limits.maxXmlDepth,
    fail: (fault, message) =>
      importError(ctx, fault, `${where}: ${message}${fault === "too-deep" ? "; this is not a budget file" : ""}.`, {
        where
      })
  })

/**
 * A copy of `text` that does not point into the document. The XML parser hands out slices of the whole document
 * text; a value kept from it (a description in a parsed budget) would keep the entire file in memory — 140 MB for a
 * 100k-position UNIXML. Short strings are copied by the engine anyway; a longer one is copied by flattening a
 * concatenation.
 */
export const detachText = (text: string): string => (text.length < 13 ? text : ` ${text}`.slice(1))

export interface XmlElement {
  readonly name: string
  readonly attributes: Readonly<Record<string, string>>
  readonly children: Array<XmlElement>
  /** Character data directly inside the element (meaningful for leaf elements). */
  text: string
}

/** Reads a whole document into a small element tree, at most `maxXmlElements` elements. */
export const readXmlTree = (text: string, ctx: ImportContext, where: string): XmlElement => {
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" }
  const stack: Array<XmlElement> = [root]
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
      close: () => {
        stack.pop()
      },
      text: (t) => {
        stack[stack.length - 1]!.text += t
      }
    },
    ctx,
    where
  )
  const top = root.children[0]
  if (top === undefined)
    throw importError(ctx, "malformed", `${where}: the XML document has no root element.`, { where })
  return top
}

export const childElement = (element: XmlElement, name: string): XmlElement | undefined =>
  element.children.find((c) => c.name === name)

export const childElements = (element: XmlElement, name: string): Array<XmlElement> =>
  element.children.filter((c) => c.name === name)

/** Trimmed text of a child element, "" when absent. */
export const childText = (element: XmlElement, name: string): string => childElement(element, name)?.text.trim() ?? ""
