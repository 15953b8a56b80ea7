// A small streaming XML scanner for simple, attribute-free documents such as the TSKP catalogue: elements,
// text, the five predefined entities and character references, CDATA, comments and processing instructions.
// It checks that tags nest; it does not do namespaces, DTDs or attribute values (attributes are skipped).

export interface XmlHandlers {
  readonly open: (name: string, offset: number) => void
  readonly close: (name: string, offset: number) => void
  /** Text between tags, entities decoded; may be called several times within one element. */
  readonly text: (text: string) => void
}

export interface XmlProblem {
  readonly reason: string
  /** Character offset in the decoded text. */
  readonly offset: number
}

const NAMED: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }

const decodeEntities = (raw: string, offset: number): string | XmlProblem => {
  if (!raw.includes("&")) return raw
  let problem: XmlProblem | undefined
  const text = raw.replace(/&(#x[0-9a-fA-F]+|#\d+|[A-Za-z]+);|&/g, (whole, ref: string | undefined, at: number) => {
    if (ref === undefined) {
      problem ??= { reason: "a bare '&' must be written &amp;", offset: offset + at }
      return whole
    }
    if (ref.startsWith("#")) {
      const code = ref.startsWith("#x") ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10)
      if (code > 0x10ffff) problem ??= { reason: `character reference ${whole} is out of range`, offset: offset + at }
      return code > 0x10ffff ? whole : String.fromCodePoint(code)
    }
    const named = NAMED[ref]
    if (named === undefined) problem ??= { reason: `unknown entity ${whole}`, offset: offset + at }
    return named ?? whole
  })
  return problem ?? text
}

/** End of a start or end tag, skipping '>' inside quoted attribute values; -1 when unterminated. */
const tagEnd = (xml: string, from: number): number => {
  let quote = ""
  for (let i = from; i < xml.length; i++) {
    const c = xml[i]
    if (quote !== "") {
      if (c === quote) quote = ""
    } else if (c === '"' || c === "'") quote = c
    else if (c === ">") return i
  }
  return -1
}

const skipTo = (xml: string, from: number, terminator: string, what: string): number | XmlProblem => {
  const end = xml.indexOf(terminator, from)
  return end === -1 ? { reason: `unterminated ${what}`, offset: from } : end + terminator.length
}

const NAME = /^([A-Za-z_:][\w.:-]*)/

/** Scans `xml`, calling the handlers in document order; returns the first problem, or undefined when well formed. */
export const scanXml = (xml: string, handlers: XmlHandlers): XmlProblem | undefined => {
  const open: Array<string> = []
  let i = xml.charCodeAt(0) === 0xfeff ? 1 : 0
  while (i < xml.length) {
    const lt = xml.indexOf("<", i)
    const textEnd = lt === -1 ? xml.length : lt
    if (textEnd > i) {
      const text = decodeEntities(xml.slice(i, textEnd), i)
      if (typeof text !== "string") return text
      if (open.length === 0 && text.trim() !== "") return { reason: "text outside the root element", offset: i }
      handlers.text(text)
    }
    if (lt === -1) break
    let next: number | XmlProblem
    if (xml.startsWith("<?", lt)) next = skipTo(xml, lt + 2, "?>", "processing instruction")
    else if (xml.startsWith("<!--", lt)) next = skipTo(xml, lt + 4, "-->", "comment")
    else if (xml.startsWith("<![CDATA[", lt)) {
      next = skipTo(xml, lt + 9, "]]>", "CDATA section")
      if (typeof next === "number") handlers.text(xml.slice(lt + 9, next - 3))
    } else if (xml.startsWith("<!", lt)) {
      const end = tagEnd(xml, lt + 2)
      if (end === -1 || xml.slice(lt, end).includes("[")) return { reason: "DTDs are not supported", offset: lt }
      next = end + 1
    } else {
      const end = tagEnd(xml, lt + 1)
      if (end === -1) return { reason: "unterminated tag", offset: lt }
      const closing = xml[lt + 1] === "/"
      const body = xml.slice(closing ? lt + 2 : lt + 1, end)
      const name = NAME.exec(body)?.[1]
      if (name === undefined) return { reason: "a tag without a valid name", offset: lt }
      if (closing) {
        const expected = open.pop()
        if (expected !== name) {
          return { reason: `</${name}> closes ${expected === undefined ? "nothing" : `<${expected}>`}`, offset: lt }
        }
        handlers.close(name, lt)
      } else {
        handlers.open(name, lt)
        if (body.endsWith("/")) handlers.close(name, lt)
        else open.push(name)
      }
      next = end + 1
    }
    if (typeof next !== "number") return next
    i = next
  }
  const unclosed = open.at(-1)
  return unclosed === undefined ? undefined : { reason: `<${unclosed}> is never closed`, offset: xml.length }
}
