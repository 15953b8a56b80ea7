// Loads the TSKP classifier from the bytes of its XML export (tskp-tridnik.xml):
// <BuildingInformation><Classification><System>…<EditionVersion>…</EditionVersion><Items>
// <Item><ID>…</ID><Name>…</Name><Description>…</Description><Children><Item>…</Item></Children></Item>…
// Reading the file is the caller's business; this stays pure and runs on Node, Deno and browsers.
import { Effect, Schema } from "effect"
import { scanXml } from "./scanXml.ts"
import type { TskpClassifier, TskpItem } from "./TskpClassifier.ts"
import { makeTskpClassifier } from "./TskpClassifier.ts"

// The core package compiles without DOM or Node typings; TextDecoder is a global of every runtime it targets
// (WHATWG Encoding), so a local declaration of the one shape used here is safe.
declare const TextDecoder: new (label: string, options: { fatal: boolean }) => { decode: (bytes: Uint8Array) => string }

export class TskpParseError extends Schema.TaggedError<TskpParseError>()("TskpParseError", {
  reason: Schema.String,
  /** Character offset in the decoded document, when the problem has a place. */
  offset: Schema.NullOr(Schema.Number)
}) {
  override get message(): string {
    const where = this.offset === null ? "" : ` at character ${this.offset}`
    return `The TSKP catalogue could not be read${where}: ${this.reason}. Use the XML export of the TSKP classifier (<Item><ID>…</ID><Name>…</Name>…).`
  }
}

interface Frame {
  readonly parent: Frame | null
  readonly offset: number
  id: string
  name: string
}

const parse = (xml: string): TskpClassifier | TskpParseError => {
  const items: Array<{ frame: Frame }> = []
  const path: Array<string> = []
  let frame: Frame | null = null
  let text = ""
  let edition: string | null = null
  let problem: TskpParseError | null = null
  const scanned = scanXml(xml, {
    open: (name, offset) => {
      path.push(name)
      text = ""
      if (name === "Item") frame = { parent: frame, offset, id: "", name: "" }
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
        if (frame.id === "") problem ??= new TskpParseError({ reason: "an <Item> has no <ID>", offset: frame.offset })
        items.push({ frame })
        frame = frame.parent
      }
    }
  })
  if (scanned !== undefined) return new TskpParseError({ reason: scanned.reason, offset: scanned.offset })
  if (problem !== null) return problem
  if (items.length === 0) return new TskpParseError({ reason: "the document has no <Item> elements", offset: null })
  const seen = new Set<string>()
  const result: Array<TskpItem> = []
  for (const { frame: f } of items) {
    if (seen.has(f.id)) return new TskpParseError({ reason: `the ID ${f.id} appears twice`, offset: f.offset })
    seen.add(f.id)
    result.push({ id: f.id, name: f.name, parentId: f.parent === null ? null : f.parent.id })
  }
  return makeTskpClassifier(result, edition)
}

/** Decodes UTF-8 (a BOM is dropped) and reads every <Item> with its parent; fails on malformed input. */
export const loadTskp = (bytes: Uint8Array): Effect.Effect<TskpClassifier, TskpParseError> =>
  Effect.try({
    try: () => new TextDecoder("utf-8", { fatal: true }).decode(bytes),
    catch: () => new TskpParseError({ reason: "the bytes are not valid UTF-8", offset: null })
  }).pipe(
    Effect.flatMap((xml) => {
      const parsed = parse(xml)
      return parsed instanceof TskpParseError ? Effect.fail(parsed) : Effect.succeed(parsed)
    })
  )
