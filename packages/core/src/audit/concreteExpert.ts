// Built-in concrete expert: strength and exposure classes per EN 206, and concrete volumes that have neither
// formwork nor reinforcement anywhere in their object. Silent on positions with nothing concrete to check.
import { memoUnitKey, unitKey } from "../budget/units.ts"
import type { ExpertOpinion } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"
import {
  findExposureClasses,
  findStrengthClasses,
  isValidExposureClass,
  isValidStrengthClass,
  nearestStrengthClasses
} from "./concreteClasses.ts"
import { makeRuleExpert, markBuiltIn } from "./Expert.ts"
import type { Finding } from "./Finding.ts"
import { opinionFromFindings } from "./Finding.ts"
import { fingerprintsOf } from "./positionFingerprint.ts"

const self = { role: "concrete", name: "builtin.concrete" } as const

const CONCRETE = /beton|(?<!\p{L})žb(?!\p{L})/iu
// Works on existing or precast concrete measured in m3 need no formwork or reinforcement of their own, and
// asphalt concrete ("asfaltový beton") is not concrete in the EN 206 sense.
const NOT_CAST_IN_PLACE =
  /bour|odstran|demol|rozbit|odvoz|přesun|likvid|řezán|vrtán|frézov|sanac|dílc|prefabrik|recykl|drcen|asfalt/iu
const FORMWORK = /bedn/iu
const REINFORCEMENT = /výztu|vyztu|armatur|(?<!\p{L})kari(?!\p{L})|roxor|betonářsk|B500/iu
// "… bez výztuže" (without reinforcement) mentions reinforcement only to exclude it.
const WITHOUT_REINFORCEMENT = /bez\s+výztuže/giu

/**
 * Description and note, without "bez výztuže". Without a note the description alone is read: the space that would
 * join them changes no match of the patterns here, and skipping the copy matters at 100k positions.
 */
const textOf = (p: Position): string =>
  (p.note === "" ? p.description : `${p.description} ${p.note}`).replace(WITHOUT_REINFORCEMENT, " ")

/** m3 of concrete cast in place: the positions that need formwork or reinforcement somewhere in their object. */
export const isConcreteVolume = (p: Position): boolean => concreteVolume(textOf(p), unitKey(p.unit))

const concreteVolume = (text: string, unit: string): boolean =>
  unit === "m3" && CONCRETE.test(text) && !NOT_CAST_IN_PLACE.test(text)

interface ObjectSupport {
  readonly formwork: ReadonlyArray<string>
  readonly reinforcement: ReadonlyArray<string>
}

const supportByObject = (positions: ReadonlyArray<Position>): ReadonlyMap<string, ObjectSupport> => {
  const map = new Map<string, { formwork: Array<string>; reinforcement: Array<string> }>()
  positions.forEach((p) => {
    const text = textOf(p)
    let entry = map.get(p.objectCode)
    if (entry === undefined) {
      entry = { formwork: [], reinforcement: [] }
      map.set(p.objectCode, entry)
    }
    if (FORMWORK.test(text)) entry.formwork.push(p.positionKey)
    if (REINFORCEMENT.test(text)) entry.reinforcement.push(p.positionKey)
  })
  return map
}

const judge = (
  p: Position,
  fingerprint: string,
  text: string,
  unit: string,
  support: ReadonlyMap<string, ObjectSupport>
): ExpertOpinion | undefined => {
  // A strength class needs a "/" and an exposure class an "X": most positions have neither, and skip the scans.
  const strengths = text.includes("/") ? findStrengthClasses(text) : []
  const concrete = CONCRETE.test(text)
  const volume = unit === "m3" && concrete && !NOT_CAST_IN_PLACE.test(text)
  // Exposure-like tokens ("XB2") are only read as exposure classes where the text is about concrete.
  const exposures = (strengths.length > 0 || concrete) && text.includes("X") ? findExposureClasses(text) : []
  if (strengths.length === 0 && exposures.length === 0 && !volume) return undefined

  const findings: Array<Finding> = []
  const evidence: Record<string, string> = {}
  const passed: Array<string> = []
  if (strengths.length > 0) evidence.strengthClasses = strengths.join(", ")
  if (exposures.length > 0) evidence.exposureClasses = exposures.join(", ")
  for (const cls of strengths) {
    if (isValidStrengthClass(cls)) continue
    const near = nearestStrengthClasses(cls)
    findings.push({
      verdict: "RED",
      confidence: 90,
      type: "invalid-strength-class",
      description: `${cls} is not a concrete strength class of EN 206.`,
      suggestion: near.length > 0 ? `Did you mean ${near.join(" or ")}?` : "Use a strength class listed in EN 206."
    })
  }
  for (const cls of exposures) {
    if (isValidExposureClass(cls)) continue
    findings.push({
      verdict: "RED",
      confidence: 90,
      type: "invalid-exposure-class",
      description: `${cls} is not an exposure class of EN 206.`,
      suggestion: "Use X0, XC1–XC4, XD1–XD3, XS1–XS3, XF1–XF4 or XA1–XA3 (XM1–XM3 per ČSN EN 206+A2)."
    })
  }
  if (strengths.length > 0 && findings.length === 0) passed.push(`${strengths.join(", ")} valid per EN 206.`)
  if (exposures.length > 0 && findings.every((f) => f.type !== "invalid-exposure-class")) {
    passed.push(`Exposure ${exposures.join(", ")} valid.`)
  }

  if (volume) {
    const inObject = support.get(p.objectCode) ?? { formwork: [], reinforcement: [] }
    const formwork = inObject.formwork.length > 0
    const reinforcement = inObject.reinforcement.length > 0
    evidence.concreteVolume = "yes"
    evidence.formworkInObject = formwork ? inObject.formwork.slice(0, 5).join(", ") : "none"
    evidence.reinforcementInObject = reinforcement ? inObject.reinforcement.slice(0, 5).join(", ") : "none"
    if (!formwork && !reinforcement) {
      findings.push({
        verdict: "AMBER",
        confidence: 60,
        type: "concrete-without-formwork-or-reinforcement",
        description: `Concrete is priced in m3 but object ${p.objectCode || "(none)"} has no formwork and no reinforcement position.`,
        suggestion: "Add the formwork (bednění) and reinforcement (výztuž) positions, or note why none are needed."
      })
    } else {
      for (const [present, what, type] of [
        [formwork, "formwork", "no-formwork-position"],
        [reinforcement, "reinforcement", "no-reinforcement-position"]
      ] as const) {
        if (!present) {
          findings.push({
            verdict: "GREEN",
            confidence: 80,
            type,
            description: `Object ${p.objectCode || "(none)"} has no ${what} position (fine for plain concrete or cast against soil).`,
            suggestion: `Check that no ${what} is needed.`
          })
        }
      }
      passed.push("The object has formwork or reinforcement positions.")
    }
  }

  return opinionFromFindings(p, fingerprint, self, findings, { confidence: 85, reasoning: passed.join(" ") }, evidence)
}

/** Judges positions that name a strength or exposure class, or price concrete by volume. */
export const concreteExpert = markBuiltIn(
  makeRuleExpert(self.role, self.name, (positions) => {
    const support = supportByObject(positions)
    const unitOf = memoUnitKey()
    const out: Array<ExpertOpinion> = []
    const fingerprints = fingerprintsOf(positions)
    positions.forEach((p, i) => {
      const opinion = judge(p, fingerprints[i]!, textOf(p), unitOf(p.unit), support)
      if (opinion !== undefined) out.push(opinion)
    })
    return out
  })
)
