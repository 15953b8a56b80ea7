// Loads the TSKP classifier from the bytes of its XML export (tskp-tridnik.xml):
// <BuildingInformation><Classification><System>…<EditionVersion>…</EditionVersion><Items>
// <Item><ID>…</ID><Name>…</Name><Description>…</Description><Children><Item>…</Item></Children></Item>…
// Reading the file is the caller's business; this stays pure and runs on Node, Deno and browsers. The XML goes
// through the same safe reader as budget imports (no entities, bounded nesting).
import { Effect, Schema } from "effect"
import { decodeUtf8, isValidUtf8 } from "../import/decodeText.ts"
import { defaultImportLimits } from "../import/ImportLimits.ts"
import { streamXml } from "../import/readXml.ts"
import type { TskpClassifier, TskpItem } from "./TskpClassifier.ts"
import { makeTskpClassifier } from "./TskpClassifier.ts"

export class TskpParseError extends Schema.TaggedError<TskpParseError>()("TskpParseError", {
  reason: Schema.String,
  /** 1-based line of the document the problem is on, when it has a place. */
  line: Schema.NullOr(Schema.Number)
}) {
  override get message(): string {
    const where = this.line === null ? "" : ` at line ${this.line}`
    return `The TSKP catalogue could not be read${where}: ${this.reason}. Use the XML export of the TSKP classifier (<Item><ID>…</ID><Name>…</Name>…).`
  }
}

interface Frame {
  readonly parent: Frame | null
  readonly line: number
  id: string
  name: string
}

/** Reads every <Item>; throws TskpParseError (the only thing it throws on bad input). */
const parse = (xml: string): TskpClassifier => {
  const items: Array<Frame> = []
  const path: Array<string> = []
  let frame: Frame | null = null
  let text = ""
  let edition: string | null = null
  streamXml(
    xml,
    {
      open: (name, _attributes, line) => {
        path.push(name)
        text = ""
        if (name === "Item") frame = { parent: frame, line, id: "", name: "" }
      },
      text: (t) => {
        text += t
      },
      close: (name) => {
        path.pop()
        const parentElement = path.at(-1)
        if (name === "EditionVersion" && parentElement === "System") edition = text.trim()
        if (frame === null) return
        if (name === "ID" && parentElement === "Item") frame.id = text.trim()
        else if (name === "Name" && parentElement === "Item") frame.name = text.trim()
        else if (name === "Item") {
          if (frame.id === "") throw new TskpParseError({ reason: "an <Item> has no <ID>", line: frame.line })
          items.push(frame)
          frame = frame.parent
        }
      }
    },
    { maxDepth: defaultImportLimits.maxXmlDepth, fail: (_fault, reason) => new TskpParseError({ reason, line: null }) }
  )
  if (items.length === 0) throw new TskpParseError({ reason: "the document has no <Item> elements", line: null })
  const seen = new Set<string>()
  const result: Array<TskpItem> = []
  for (const f of items) {
    if (seen.has(f.id)) throw new TskpParseError({ reason: `the ID ${f.id} appears twice`, line: f.line })
    seen.add(f.id)
    result.push({ id: f.id, name: f.name, parentId: f.parent === null ? null : f.parent.id })
  }
  return makeTskpClassifier(result, edition)
}

/** Decodes UTF-8 (a BOM is dropped) and reads every <Item> with its parent; fails on malformed input. */
export const loadTskp = (bytes: Uint8Array): Effect.Effect<TskpClassifier, TskpParseError> =>
  Effect.try({
    try: () => {
      if (!isValidUtf8(bytes)) throw new TskpParseError({ reason: "the bytes are not valid UTF-8", line: null })
      return parse(decodeUtf8(bytes))
    },
    catch: (cause) => cause
  }).pipe(
    // Only TskpParseError is an expected failure; anything else thrown while parsing is a bug and stays a defect.
    Effect.catch((cause) => (cause instanceof TskpParseError ? Effect.fail(cause) : Effect.die(cause)))
  )
