// Whether an expert's output is a valid ExpertOpinion, checked without the schema interpreter in the common case:
// an audit of 100k positions checks some 300k opinions, and the generic Schema.is cost more than every built-in
// expert together. The quick check accepts only values the schema accepts too; anything it does not recognise is
// decided by Schema.is, so the answer is always exactly the schema's.
import { Schema } from "effect"
import { ExpertOpinion } from "../contracts/ExpertOpinion.ts"

const schemaIs = Schema.is(ExpertOpinion)

const ROLES: ReadonlySet<unknown> = new Set([
  "structural",
  "concrete",
  "cost",
  "standards",
  "validator",
  "orchestrator"
])
const VERDICTS: ReadonlySet<unknown> = new Set(["GREEN", "AMBER", "RED"])
const SEVERITIES: ReadonlySet<unknown> = new Set(["info", "warning", "error"])

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const isIssue = (value: unknown): boolean =>
  isPlainObject(value) &&
  typeof value.type === "string" &&
  SEVERITIES.has(value.severity) &&
  typeof value.description === "string" &&
  typeof value.suggestion === "string"

/** Every own property (enumerable or not) a string; no symbol keys. */
const allStrings = (record: Record<string, unknown>): boolean => {
  if (Object.getOwnPropertySymbols(record).length > 0) return false
  for (const key of Object.getOwnPropertyNames(record)) if (typeof record[key] !== "string") return false
  return true
}

/** A dense array whose every element passes `check` (a hole is not an element). */
const everyElement = (value: unknown, check: (element: unknown) => boolean): boolean => {
  if (!Array.isArray(value)) return false
  for (let i = 0; i < value.length; i++) if (!(i in value) || !check(value[i])) return false
  return true
}

const isRole = (value: unknown): boolean => ROLES.has(value)

/** Plain objects and arrays with only the fields and values the schema describes; nothing exotic. */
const quickCheck = (value: unknown): boolean => {
  if (!isPlainObject(value)) return false
  const { confidence, issues, evidence, conflictsWith } = value
  return (
    typeof value.positionKey === "string" &&
    typeof value.positionFingerprint === "string" &&
    ROLES.has(value.role) &&
    typeof value.expert === "string" &&
    VERDICTS.has(value.verdict) &&
    typeof confidence === "number" &&
    Number.isInteger(confidence) &&
    confidence >= 0 &&
    confidence <= 100 &&
    typeof value.reasoning === "string" &&
    everyElement(issues, isIssue) &&
    isPlainObject(evidence) &&
    allStrings(evidence) &&
    everyElement(conflictsWith, isRole)
  )
}

/** Exactly `Schema.is(ExpertOpinion)`, fast for the plain objects experts return. */
export const isExpertOpinion = (value: unknown): value is ExpertOpinion => quickCheck(value) || schemaIs(value)
