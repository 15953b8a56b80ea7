// The resource limits an import runs under, so a hostile or broken file fails fast instead of exhausting memory.

export interface ImportLimits {
  /** Largest input file accepted, in bytes. */
  readonly maxBytes: number
  /** Largest total of decompressed bytes read from an XLSX (zip) file. */
  readonly maxUncompressedBytes: number
  /** Largest decompressed/compressed ratio of a zip entry once it is over 1 MiB (zip bombs reach 1000:1). */
  readonly maxCompressionRatio: number
  /** Most entries a zip file may list. */
  readonly maxZipEntries: number
  /** Deepest XML element nesting accepted (UNIXML needs about 12, XLSX about 6). */
  readonly maxXmlDepth: number
  /** Most XML elements kept as a tree (UNIXML, workbook parts); sheet cells are streamed and counted as rows/cells. */
  readonly maxXmlElements: number
  /** Most rows read from all sheets of a workbook or from a CSV file. */
  readonly maxRows: number
  /** Most cells read from all sheets of a workbook. */
  readonly maxCells: number
}

const MiB = 1024 * 1024

export const defaultImportLimits: ImportLimits = {
  maxBytes: 50 * MiB,
  maxUncompressedBytes: 300 * MiB,
  maxCompressionRatio: 200,
  maxZipEntries: 10_000,
  maxXmlDepth: 64,
  maxXmlElements: 3_000_000,
  maxRows: 1_000_000,
  maxCells: 10_000_000
}

/** Fills in the limits a caller did not set. */
export const resolveImportLimits = (limits: Partial<ImportLimits> | undefined): ImportLimits => ({
  ...defaultImportLimits,
  ...limits
})
