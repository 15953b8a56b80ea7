// Bytes to text for the text formats: BOMs, UTF-8 and, when the bytes are not valid UTF-8, Windows-1250 (the
// code page Czech Excel writes CSV in). Uses the WHATWG TextDecoder that Node, Deno and browsers all provide.

export type TextEncoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1250"

interface TextDecoderLike {
  decode(input: Uint8Array): string
}
type TextDecoderConstructor = new (label: string, options?: { fatal?: boolean; ignoreBOM?: boolean }) => TextDecoderLike

// core compiles without DOM or Node typings; TextDecoder is a global in every runtime core supports.
const TextDecoderCtor = (globalThis as unknown as { TextDecoder: TextDecoderConstructor }).TextDecoder

const decoder = (label: TextEncoding, fatal: boolean): TextDecoderLike => new TextDecoderCtor(label, { fatal })

/** Strict UTF-8 check (no overlongs, no surrogates, no truncated sequences), without exceptions. */
export const isValidUtf8 = (bytes: Uint8Array): boolean => {
  let i = 0
  const n = bytes.length
  while (i < n) {
    const b = bytes[i]!
    if (b < 0x80) {
      i++
      continue
    }
    let need: number
    let min: number
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80]
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800]
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000]
    else return false
    let cp = b & (0x3f >> need)
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]
      if (c === undefined || (c & 0xc0) !== 0x80) return false
      cp = (cp << 6) | (c & 0x3f)
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false
    i += need + 1
  }
  return true
}

const strictUtf8Decoder = decoder("utf-8", true)

/**
 * The text when the bytes are valid UTF-8 (the strict decoder checks exactly what isValidUtf8 does, natively and in
 * the same pass as decoding: a 70 MB file is read once, not twice), undefined otherwise.
 */
const strictUtf8 = (bytes: Uint8Array): string | undefined => {
  try {
    return strictUtf8Decoder.decode(bytes)
  } catch {
    return undefined
  }
}

/** Decodes text, dropping a BOM; UTF-8 when the bytes are valid UTF-8, otherwise Windows-1250. */
export const decodeText = (bytes: Uint8Array): { readonly text: string; readonly encoding: TextEncoding } => {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { text: decoder("utf-8", false).decode(bytes.subarray(3)), encoding: "utf-8" }
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: decoder("utf-16le", false).decode(bytes.subarray(2)), encoding: "utf-16le" }
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: decoder("utf-16be", false).decode(bytes.subarray(2)), encoding: "utf-16be" }
  const utf8 = strictUtf8(bytes)
  if (utf8 !== undefined) return { text: utf8, encoding: "utf-8" }
  return { text: decoder("windows-1250", false).decode(bytes), encoding: "windows-1250" }
}

interface TextEncoderLike {
  encode(input: string): Uint8Array
}
// See TextDecoderCtor: a global everywhere, untyped here on purpose.
const TextEncoderCtor = (globalThis as unknown as { TextEncoder: new () => TextEncoderLike }).TextEncoder

/** UTF-8 bytes of a string (exporters). */
export const encodeUtf8 = (text: string): Uint8Array => new TextEncoderCtor().encode(text)

/** Lenient UTF-8 decoding (invalid sequences become U+FFFD). */
export const decodeUtf8 = (bytes: Uint8Array): string => decoder("utf-8", false).decode(bytes)
