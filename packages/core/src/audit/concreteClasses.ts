// EN 206 concrete classes and how to find them in a position's text ("beton tř. C 30/37 - XC4, XF4").

/** Compressive strength classes for normal- and heavy-weight concrete (EN 206, Table 12). */
export const strengthClasses: ReadonlyArray<string> = [
  "C8/10",
  "C12/15",
  "C16/20",
  "C20/25",
  "C25/30",
  "C30/37",
  "C35/45",
  "C40/50",
  "C45/55",
  "C50/60",
  "C55/67",
  "C60/75",
  "C70/85",
  "C80/95",
  "C90/105",
  "C100/115"
]

/** Compressive strength classes for lightweight concrete (EN 206, Table 13). */
export const lightweightStrengthClasses: ReadonlyArray<string> = [
  "LC8/9",
  "LC12/13",
  "LC16/18",
  "LC20/22",
  "LC25/28",
  "LC30/33",
  "LC35/38",
  "LC40/44",
  "LC45/50",
  "LC50/55",
  "LC55/60",
  "LC60/66",
  "LC70/77",
  "LC80/88"
]

/**
 * Exposure classes of EN 206 (X0, XC1–4, XD1–3, XS1–3, XF1–4, XA1–3) plus XM1–3 (mechanical abrasion), which
 * the Czech national annex ČSN EN 206+A2 adds and Czech budgets use.
 */
export const exposureClasses: ReadonlyArray<string> = [
  "X0",
  "XC1",
  "XC2",
  "XC3",
  "XC4",
  "XD1",
  "XD2",
  "XD3",
  "XS1",
  "XS2",
  "XS3",
  "XF1",
  "XF2",
  "XF3",
  "XF4",
  "XA1",
  "XA2",
  "XA3",
  "XM1",
  "XM2",
  "XM3"
]

const validStrength = new Set([...strengthClasses, ...lightweightStrengthClasses])
const validExposure = new Set(exposureClasses)

// Not preceded by a letter or digit (so "DC 12/24" is not a class), optional space after C and around "/".
const STRENGTH = /(?<![\p{L}\p{N}])(L?C)\s?(\d{1,3})\s?\/\s?(\d{1,3})(?!\p{N})/gu
// X followed by one letter and one or two digits, or X0, standing alone ("XC4," "-XF4").
const EXPOSURE = /(?<![\p{L}\p{N}])X(0|\p{Lu}\d{1,2})(?![\p{L}\p{N}])/gu

/** Strength classes written in `text`, normalised to "C30/37", in order of appearance, without repeats. */
export const findStrengthClasses = (text: string): ReadonlyArray<string> => [
  ...new Set(Array.from(text.matchAll(STRENGTH), (m) => `${m[1]}${m[2]}/${m[3]}`))
]

/** Exposure-class-like tokens written in `text` ("XC4", also invalid ones like "XC5"), without repeats. */
export const findExposureClasses = (text: string): ReadonlyArray<string> => [
  ...new Set(Array.from(text.matchAll(EXPOSURE), (m) => `X${m[1]}`))
]

export const isValidStrengthClass = (cls: string): boolean => validStrength.has(cls)
export const isValidExposureClass = (cls: string): boolean => validExposure.has(cls)

/** Valid classes of the same family sharing the cylinder or the cube strength, e.g. C31/37 → C30/37. */
export const nearestStrengthClasses = (cls: string): ReadonlyArray<string> => {
  const m = /^(L?C)(\d+)\/(\d+)$/.exec(cls)
  if (m === null) return []
  const [, family, cylinder, cube] = m
  const list = family === "LC" ? lightweightStrengthClasses : strengthClasses
  return list.filter((c) => c.startsWith(`${family}${cylinder}/`) || c.endsWith(`/${cube}`))
}
