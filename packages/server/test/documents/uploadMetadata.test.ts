// What an upload records about a file: format from its first bytes, a clean file name, a content type safe to serve,
// a Content-Disposition that keeps the exact name, the upload route's body limit and its configuration.
import { parseConfig } from "@costline/server/config/AppConfig"
import { uploadBodyLimit } from "@costline/server/documents/uploadBodyLimit"
import {
  cleanFileName,
  contentDisposition,
  contentTypeFor,
  documentFormat
} from "@costline/server/documents/uploadMetadata"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"

const text = (value: string) => new TextEncoder().encode(value)

describe("documentFormat", () => {
  it("reads UNIXML, XLSX and CSV from the first bytes", () => {
    expect(documentFormat(text('\uFEFF  <?xml version="1.0"?><unixml>'))).toBe("unixml")
    expect(documentFormat(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]))).toBe("xlsx")
    expect(documentFormat(text("kód;popis;MJ\n"))).toBe("csv")
  })

  it("calls empty and non-zip binary content unknown, but not UTF-16 text", () => {
    expect(documentFormat(new Uint8Array(0))).toBe("unknown")
    expect(documentFormat(new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0x01]))).toBe("unknown")
    const utf16 = new Uint8Array([0xff, 0xfe, ...Array.from(text("<unixml>")).flatMap((b) => [b, 0])])
    expect(documentFormat(utf16)).not.toBe("unknown")
  })
})

describe("cleanFileName", () => {
  it("keeps the last path segment without control characters", () => {
    expect(cleanFileName("C:\\Users\\x\\rozpočet.xml")).toBe("rozpočet.xml")
    expect(cleanFileName("../../etc/passwd")).toBe("passwd")
    expect(cleanFileName("a\r\nb\u0000.csv")).toBe("ab.csv")
    expect(cleanFileName("")).toBe("upload")
    expect(cleanFileName("..")).toBe("upload")
    expect(Array.from(cleanFileName("ž".repeat(400))).length).toBe(255)
  })
})

describe("contentTypeFor", () => {
  it("keeps a declared media type, without parameters, and falls back on the format's type", () => {
    expect(contentTypeFor("text/csv; charset=windows-1250", "csv")).toBe("text/csv")
    expect(contentTypeFor("Application/XML", "unixml")).toBe("application/xml")
    expect(contentTypeFor("application/octet-stream", "unixml")).toBe("application/xml")
    expect(contentTypeFor("", "xlsx")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    expect(contentTypeFor("text/html\r\nx-injected: 1", "csv")).toBe("text/csv")
    expect(contentTypeFor("nonsense", "unknown")).toBe("application/octet-stream")
  })
})

describe("contentDisposition", () => {
  it("gives an ASCII fallback and the exact UTF-8 name", () => {
    expect(contentDisposition('Rozpočet "SO 01".csv')).toBe(
      `attachment; filename="Rozpo_et _SO 01_.csv"; filename*=UTF-8''Rozpo%C4%8Det%20%22SO%2001%22.csv`
    )
  })
})

describe("uploadBodyLimit", () => {
  const limit = uploadBodyLimit({ maxUploadBytes: 50_000_000, maxBodyBytes: 1_000_000 })
  it("raises the limit for the upload route only", () => {
    const id = "2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11"
    expect(limit("POST", `/api/v1/projects/${id}/documents`)).toBeGreaterThan(50_000_000)
    expect(limit("POST", `/api/v1/projects/${id}/documents?x=1`)).toBeGreaterThan(50_000_000)
    expect(limit("POST", `/api/v1/projects/${id}`)).toBe(1_000_000)
    expect(limit("PUT", `/api/v1/projects/${id}/documents`)).toBe(1_000_000)
    expect(limit("POST", `/api/v1/projects/${id}/documents/extra`)).toBe(1_000_000)
    expect(limit("POST", "/api/v1/projects")).toBe(1_000_000)
  })
})

describe("MAX_UPLOAD_BYTES", () => {
  it("defaults to 50 MiB and refuses a value that is not a whole number of bytes in range", async () => {
    expect((await Effect.runPromise(parseConfig({}))).maxUploadBytes).toBe(50 * 1024 * 1024)
    expect((await Effect.runPromise(parseConfig({ MAX_UPLOAD_BYTES: "2048" }))).maxUploadBytes).toBe(2048)
    for (const value of ["50MB", "-1", "10", String(2 * 1024 ** 3)]) {
      const error = await Effect.runPromise(Effect.flip(parseConfig({ MAX_UPLOAD_BYTES: value })))
      expect(error).toMatchObject({ _tag: "ConfigInvalid", variable: "MAX_UPLOAD_BYTES" })
    }
  })
})
