import { readFileSync } from "node:fs"
import { Effect, Option } from "effect"
import { describe, expect, it } from "vitest"
import { loadTskp } from "../../src/audit/loadTskp.ts"
import { checkTskpCode, codeStem } from "../../src/audit/TskpClassifier.ts"

const bytes = (s: string) => new TextEncoder().encode(s)
// Effect.flip turns a success into a failure, so runSync throws (and the test fails) if loading succeeds.
const failure = (input: Uint8Array) => Effect.runSync(Effect.flip(loadTskp(input)))

describe("loadTskp (synthetic)", () => {
  const classifier = Effect.runSync(loadTskp(readFileSync(new URL("./fixtures/tskp-mini.xml", import.meta.url))))

  it("reads every item with its name and parent, and the edition", () => {
    expect(classifier.size).toBe(9)
    expect(classifier.edition).toBe("test v1")
    expect(Option.getOrThrow(classifier.get("12115"))).toEqual({
      id: "12115",
      name: "Sejmutí ornice & lesní půdy strojně",
      parentId: "121"
    })
    expect(Option.getOrThrow(classifier.get("0")).name).toBe("Vedlejší rozpočtové náklady")
    expect(Option.getOrThrow(classifier.get("274")).parentId).toBe("27")
    expect(Option.getOrThrow(classifier.get("1")).parentId).toBeNull()
  })

  it("validates codes by their deepest TSKP prefix", () => {
    expect(checkTskpCode(classifier, "121151113")).toMatchObject({ _tag: "Classified", item: { id: "12115" } })
    expect(checkTskpCode(classifier, "274313611")).toMatchObject({ _tag: "Classified", item: { id: "274" } })
    expect(checkTskpCode(classifier, "014102")).toMatchObject({ _tag: "Classified", item: { id: "01" } })
    expect(checkTskpCode(classifier, "131151")).toMatchObject({ _tag: "Unclassified", stem: "131151" })
    expect(checkTskpCode(classifier, "014102", 3)._tag).toBe("Unclassified")
    expect(checkTskpCode(classifier, "PKB.711038")).toEqual({ _tag: "NoDigits" })
  })

  it("takes the stem after one custom-item R and up to the first non-digit", () => {
    expect(codeStem("R317121224.XELLA")).toBe("317121224")
    expect(codeStem("71313134R")).toBe("71313134")
    expect(codeStem(" 23717A ")).toBe("23717")
    expect(codeStem("RMAT0002")).toBe("")
    expect(codeStem("")).toBe("")
  })

  it("fails with a typed error on malformed or unsuitable input", () => {
    const unclosed = failure(bytes("<Items><Item><ID>1</ID></Items>"))
    expect(unclosed.reason).toMatch(/^not well-formed XML: .*1:\d+: unexpected close tag/)
    expect(unclosed.message).toContain("The TSKP catalogue could not be read")
    expect(failure(bytes("<Items><Item>\n<Name>x</Name></Item></Items>"))).toMatchObject({
      reason: "an <Item> has no <ID>",
      line: 1
    })
    expect(failure(bytes("<Items>&nbsp;</Items>")).reason).toContain("not well-formed XML")
    expect(failure(bytes("<Items/>")).reason).toBe("the document has no <Item> elements")
    expect(failure(bytes("<I><Item><ID>1</ID></Item><Item><ID>1</ID></Item></I>")).reason).toBe(
      "the ID 1 appears twice"
    )
    // The catalogue goes through the import's safe XML reader: entity declarations and deep nesting are refused.
    const laughs = '<!DOCTYPE x [<!ENTITY a "aaaa">]><Items><Item><ID>&a;</ID></Item></Items>'
    expect(failure(bytes(laughs)).reason).toContain("declares entities")
    expect(failure(bytes(`${"<a>".repeat(100)}${"</a>".repeat(100)}`)).reason).toContain("nested deeper than 64")
    const notUtf8 = failure(new Uint8Array([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e]))
    expect(notUtf8._tag).toBe("TskpParseError")
    expect(notUtf8.message).toContain("not valid UTF-8")
  })
})
