// Hostile input fails fast with an ImportError: oversized files, zip bombs, entity expansion, deep nesting.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { zipSync } from "fflate"
import type { ImportError } from "../../src/contracts/ImportError.ts"
import { parseBudget } from "../../src/import/parseBudget.ts"
import { buildXlsx, sheetXml, workbookParts } from "./xlsxFixture.ts"

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

const failure = (bytes: Uint8Array, options: Parameters<typeof parseBudget>[1] = {}): ImportError =>
  Effect.runSync(Effect.flip(parseBudget(bytes, options)))

const header = [null, null, "PČ", "Typ", "Kód", "Popis", "MJ", "Množství", "J.cena [CZK]", "Cena celkem [CZK]"]

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<unixml verze="1.2"><stavba><nazev_stavby>&lol9;</nazev_stavby></stavba></unixml>`

/** Rewrites the sizes a zip declares for one entry (central directory and local header) to `declared`. */
const lieAboutSize = (zip: Uint8Array, name: string, declared: number): Uint8Array => {
  const out = zip.slice()
  const view = new DataView(out.buffer)
  const nameBytes = enc(name)
  for (let o = 0; o + 4 <= out.length; o++) {
    const sig = view.getUint32(o, true)
    const isCentral = sig === 0x02014b50
    const isLocal = sig === 0x04034b50
    if (!isCentral && !isLocal) continue
    const nameAt = isCentral ? o + 46 : o + 30
    const nameLength = view.getUint16(isCentral ? o + 28 : o + 26, true)
    if (nameLength !== nameBytes.length || !nameBytes.every((b, i) => out[nameAt + i] === b)) continue
    view.setUint32(isCentral ? o + 24 : o + 22, declared, true)
  }
  return out
}

describe("import limits", () => {
  it("rejects a file over maxBytes before reading it", () => {
    const error = failure(new Uint8Array(2048), { limits: { maxBytes: 1024 } })
    expect(error._tag).toBe("ImportError")
    expect(error.reason).toBe("too-large")
  })

  it("rejects the default 50 MB limit being exceeded", () => {
    const error = failure(new Uint8Array(50 * 1024 * 1024 + 1))
    expect(error.reason).toBe("too-large")
  })

  it("rejects a zip bomb by its declared compression ratio without inflating it", () => {
    const zeros = new Uint8Array(40 * 1024 * 1024)
    const parts = workbookParts([{ name: "S", rows: [header] }])
    parts["xl/worksheets/sheet1.xml"] = zeros
    const bomb = zipSync(parts, { level: 9 })
    // Only the import is timed: compressing 40 MiB above takes longer than rejecting it.
    const started = performance.now()
    const error = failure(bomb)
    expect(error.reason).toBe("zip-bomb")
    expect(error.where).toBe("xl/worksheets/sheet1.xml")
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it("stops inflating an entry that lies about its size (declares 1 KiB, inflates to 40 MiB)", () => {
    const parts = workbookParts([{ name: "S", rows: [header] }])
    parts["xl/worksheets/sheet1.xml"] = new Uint8Array(40 * 1024 * 1024)
    const lying = lieAboutSize(zipSync(parts, { level: 9 }), "xl/worksheets/sheet1.xml", 1024)
    const error = failure(lying)
    expect(error.reason).toBe("zip-bomb")
    expect(error.message).toContain("beyond its declared size")
  })

  it("caps the total decompressed size across entries", () => {
    const big = enc(
      sheetXml([
        header,
        ...Array.from({ length: 3000 }, (_, i) => [null, null, String(i + 1), "K", "1", "x".repeat(50), "m", 1, 1, 1])
      ])
    )
    const xlsx = buildXlsx([{ name: "A", xml: new TextDecoder().decode(big) }])
    const error = failure(xlsx, { limits: { maxUncompressedBytes: 100_000 } })
    expect(error.reason).toBe("zip-bomb")
  })

  it("rejects billion-laughs XML in UNIXML without expanding entities", () => {
    const started = performance.now()
    const error = failure(enc(billionLaughs))
    expect(error.reason).toBe("unsafe-xml")
    expect(performance.now() - started).toBeLessThan(500)
  })

  it("rejects entity declarations inside an XLSX sheet too", () => {
    const sheet = billionLaughs.replace(
      /<unixml[\s\S]*$/,
      '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    const error = failure(buildXlsx([{ name: "S", xml: sheet }]))
    expect(error.reason).toBe("unsafe-xml")
  })

  it("does not resolve undeclared entities (no external entities either)", () => {
    const error = failure(
      enc('<?xml version="1.0"?><unixml><stavba><nazev_stavby>&xxe;</nazev_stavby></stavba></unixml>')
    )
    expect(error.reason).toBe("malformed")
  })

  it("rejects deeply nested XML quickly", () => {
    const depth = 200_000
    const xml = `<unixml>${"<a>".repeat(depth)}${"</a>".repeat(depth)}</unixml>`
    const started = performance.now()
    const error = failure(enc(xml))
    expect(error.reason).toBe("too-deep")
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it("rejects deeply nested sheet XML", () => {
    const xml = `<worksheet><sheetData>${"<x>".repeat(10_000)}${"</x>".repeat(10_000)}</sheetData></worksheet>`
    expect(failure(buildXlsx([{ name: "S", xml }])).reason).toBe("too-deep")
  })

  it("caps rows of a CSV file", () => {
    const csv = `Kód;Popis;MJ;Množství\n${"1;a;m;1\n".repeat(200)}`
    expect(failure(enc(csv), { limits: { maxRows: 100 } }).reason).toBe("too-many-rows")
  })

  it("caps rows of a workbook", () => {
    const rows = [
      header,
      ...Array.from({ length: 200 }, (_, i) => [null, null, String(i + 1), "K", "1", "a", "m", 1, 1, 1])
    ]
    expect(failure(buildXlsx([{ name: "A", rows }]), { limits: { maxRows: 100 } }).reason).toBe("too-many-rows")
  })

  it("rejects malformed zip data as malformed, not as a crash", () => {
    const bytes = buildXlsx([{ name: "A", rows: [header] }]).slice(0, 200)
    expect(failure(bytes).reason).toBe("malformed")
  })
})
