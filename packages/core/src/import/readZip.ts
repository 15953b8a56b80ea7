// Bounded reading of zip archives (XLSX): the central directory is read here, entries are inflated with fflate in
// small steps so a zip bomb is stopped at the declared size, the ratio cap or the total cap, never in memory.
import { Inflate } from "fflate"
import { decodeUtf8 } from "./decodeText.ts"
import { type ImportContext, importError } from "./ImportContext.ts"

export interface ZipEntry {
  readonly name: string
  readonly method: number
  readonly flags: number
  readonly compressedSize: number
  readonly size: number
  readonly localHeaderOffset: number
}

export interface ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>
  /** The entry's bytes, undefined when the archive has no such entry. */
  readonly read: (name: string) => Uint8Array | undefined
}

/** Compressed bytes pushed to the inflater at a time: bounds what one step can produce (deflate tops out ~1032:1). */
const STEP = 16 * 1024
const RATIO_FLOOR = 1024 * 1024

export const isZip = (bytes: Uint8Array): boolean =>
  bytes.length >= 4 &&
  bytes[0] === 0x50 &&
  bytes[1] === 0x4b &&
  (bytes[2] === 3 || bytes[2] === 5) &&
  bytes[3] === bytes[2] + 1

const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8)
const u32 = (b: Uint8Array, o: number): number =>
  (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0

// OOXML part names are ASCII; other names only need to be stable, so CP437 is read as Latin-1.
const decodeName = (b: Uint8Array, utf8: boolean): string => (utf8 ? decodeUtf8(b) : String.fromCharCode(...b))

export const openZip = (bytes: Uint8Array, ctx: ImportContext): ZipArchive => {
  const malformed = (message: string) => importError(ctx, "malformed", `Not a readable XLSX (zip) file: ${message}.`)
  let eocd = -1
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (u32(bytes, i) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw malformed("no end of central directory")
  const count = u16(bytes, eocd + 10)
  const cdOffset = u32(bytes, eocd + 16)
  if (count === 0xffff || cdOffset === 0xffffffff) throw malformed("ZIP64 archives are not supported")
  if (count > ctx.limits.maxZipEntries)
    throw importError(
      ctx,
      "zip-bomb",
      `The XLSX file lists ${count} zip entries (at most ${ctx.limits.maxZipEntries}).`
    )
  const entries = new Map<string, ZipEntry>()
  let o = cdOffset
  for (let k = 0; k < count; k++) {
    if (o + 46 > bytes.length || u32(bytes, o) !== 0x02014b50) throw malformed("broken central directory")
    const flags = u16(bytes, o + 8)
    const nameLength = u16(bytes, o + 28)
    const next = o + 46 + nameLength + u16(bytes, o + 30) + u16(bytes, o + 32)
    if (next > bytes.length) throw malformed("broken central directory")
    const name = decodeName(bytes.subarray(o + 46, o + 46 + nameLength), (flags & 0x800) !== 0)
    entries.set(name, {
      name,
      method: u16(bytes, o + 10),
      flags,
      compressedSize: u32(bytes, o + 20),
      size: u32(bytes, o + 24),
      localHeaderOffset: u32(bytes, o + 42)
    })
    o = next
  }

  let budget = ctx.limits.maxUncompressedBytes
  const bomb = (entry: ZipEntry, why: string) =>
    importError(ctx, "zip-bomb", `The XLSX entry "${entry.name}" ${why}; the file is rejected as a zip bomb.`, {
      where: entry.name
    })

  const read = (name: string): Uint8Array | undefined => {
    const entry = entries.get(name)
    if (entry === undefined) return undefined
    if (entry.flags & 1) throw malformed(`entry ${name} is encrypted`)
    if (entry.size > budget) throw bomb(entry, `declares ${entry.size} bytes, over the remaining ${budget} byte limit`)
    if (entry.size > RATIO_FLOOR && entry.size > ctx.limits.maxCompressionRatio * entry.compressedSize)
      throw bomb(entry, `declares a compression ratio over ${ctx.limits.maxCompressionRatio}:1`)
    const h = entry.localHeaderOffset
    if (h + 30 > bytes.length || u32(bytes, h) !== 0x04034b50) throw malformed(`bad local header for ${name}`)
    const start = h + 30 + u16(bytes, h + 26) + u16(bytes, h + 28)
    const end = start + entry.compressedSize
    if (end > bytes.length) throw malformed(`entry ${name} is truncated`)
    const data = bytes.subarray(start, end)
    if (entry.method === 0) {
      budget -= data.length
      return data.slice()
    }
    if (entry.method !== 8) throw malformed(`entry ${name} uses compression method ${entry.method}`)
    const chunks: Array<Uint8Array> = []
    let produced = 0
    const inflater = new Inflate((chunk) => {
      chunks.push(chunk)
      produced += chunk.length
    })
    for (let at = 0; at < data.length || at === 0; at += STEP) {
      const final = at + STEP >= data.length
      try {
        inflater.push(data.subarray(at, Math.min(at + STEP, data.length)), final)
      } catch (cause) {
        throw malformed(`entry ${name} does not inflate (${cause instanceof Error ? cause.message : String(cause)})`)
      }
      // The checks run after every step, so at most one step's output (~16 MiB) is ever held beyond a limit.
      if (produced > entry.size) throw bomb(entry, `inflates beyond its declared size of ${entry.size} bytes`)
      if (produced > budget) throw bomb(entry, `inflates beyond the ${ctx.limits.maxUncompressedBytes} byte limit`)
      if (produced > RATIO_FLOOR && produced > ctx.limits.maxCompressionRatio * Math.max(1, data.length))
        throw bomb(entry, `inflates over ${ctx.limits.maxCompressionRatio}:1`)
      if (final) break
    }
    budget -= produced
    if (chunks.length === 1) return chunks[0]!
    const out = new Uint8Array(produced)
    let p = 0
    for (const c of chunks) {
      out.set(c, p)
      p += c.length
    }
    return out
  }
  return { entries, read }
}
