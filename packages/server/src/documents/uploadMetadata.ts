// What an upload records about a file besides its bytes: the format (from the first bytes), a file name safe to show
// and to put in a Content-Disposition, and a content type safe to serve back.
import { type DocumentFormat, detectFormat } from "@costline/core"

/** Bytes of the file's start that decide its format. */
export const FORMAT_HEAD_BYTES = 1024

/**
 * core's detectFormat (zip → xlsx, "<" → unixml, else csv), except that an empty file and binary content that is not
 * a zip (NUL bytes without a UTF-16 byte order mark: a PDF, an image) are "unknown" rather than a CSV to fail on.
 */
export const documentFormat = (head: Uint8Array): DocumentFormat => {
  if (head.byteLength === 0) return "unknown"
  const detected = detectFormat(head)
  if (detected === "xlsx") return detected
  const utf16 =
    head.byteLength >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))
  return !utf16 && head.includes(0) ? "unknown" : detected
}

const MAX_FILE_NAME = 255

/** The last path segment of what the client sent, without control characters, at most 255 characters. */
export const cleanFileName = (name: string): string => {
  const base = name.split(/[/\\]/).pop() ?? ""
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point.
  const printable = base.replace(/[\u0000-\u001f\u007f]/g, "").trim()
  const clean = Array.from(printable).slice(0, MAX_FILE_NAME).join("")
  return clean === "" || clean === "." || clean === ".." ? "upload" : clean
}

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/

const typeOfFormat: Record<DocumentFormat, string> = {
  unixml: "application/xml",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  csv: "text/csv",
  unknown: "application/octet-stream"
}

/**
 * The media type the client declared (parameters such as charset dropped), when it is a well-formed one that says
 * something; otherwise the usual type of the detected format. It is served back as Content-Type, so nothing odd passes.
 */
export const contentTypeFor = (declared: string, format: DocumentFormat): string => {
  const media = (declared.split(";")[0] ?? "").trim().toLowerCase()
  return MEDIA_TYPE.test(media) && media.length <= 127 && media !== "application/octet-stream"
    ? media
    : typeOfFormat[format]
}

/** `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / RFC 5987). */
export const contentDisposition = (fileName: string): string => {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_")
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
  )
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
