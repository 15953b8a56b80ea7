// Safe XML reading for UNIXML and the XLSX parts, on the saxes streaming parser: no entity expansion (a DOCTYPE that
// declares entities is rejected before any is used), a nesting-depth cap and an element-count cap for trees.
import { SaxesParser } from "saxes"
import { type ImportContext, importError } from "./ImportContext.ts"

export interface XmlHandlers {
  readonly open?: (name: string, attributes: Readonly<Record<string, string>>) => void
  readonly close?: (name: string) => void
  readonly text?: (text: string) => void
}

/** Drops a namespace prefix ("x:row" → "row"): some XLSX writers prefix the SpreadsheetML namespace. */
const localName = (name: string): string => {
  const i = name.indexOf(":")
  return i < 0 ? name : name.slice(i + 1)
}

/** Streams an XML document through handlers; throws ImportError for unsafe, too deep or malformed input. */
export const scanXml = (text: string, handlers: XmlHandlers, ctx: ImportContext, where: string): void => {
  const parser = new SaxesParser({ position: true, xmlns: false })
  const maxDepth = ctx.limits.maxXmlDepth
  let depth = 0
  parser.on("doctype", (doctype) => {
    // Entities are how billion-laughs and external-entity attacks start; budget formats never need them.
    if (/<!ENTITY/i.test(doctype))
      throw importError(ctx, "unsafe-xml", `${where}: the XML declares entities in a DOCTYPE, which is not accepted.`, {
        where
      })
  })
  parser.on("opentag", (tag) => {
    depth++
    if (depth > maxDepth)
      throw importError(
        ctx,
        "too-deep",
        `${where}: XML elements are nested deeper than ${maxDepth} levels (line ${parser.line}); this is not a budget file.`,
        { where }
      )
    if (handlers.open !== undefined) handlers.open(localName(tag.name), tag.attributes)
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
    throw importError(ctx, "malformed", `${where}: not well-formed XML: ${error.message}`, { where })
  })
  parser.write(text).close()
}

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
