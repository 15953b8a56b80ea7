// A row-level finding of an import: something in the file the importer could not take at face value.
import { Schema } from "effect"

export const ImportProblemKind = Schema.Literals([
  "unparseable-number",
  "unknown-row-type",
  "missing-unit",
  "missing-quantity",
  "missing-description",
  "missing-source",
  "orphan-row",
  "total-mismatch",
  "malformed-row"
])
export type ImportProblemKind = typeof ImportProblemKind.Type

/** Where in the source file: a sheet and 1-based row (XLSX), a 1-based record (CSV) or an element path (XML). */
export const ProblemLocation = Schema.Struct({
  sheet: Schema.NullOr(Schema.String),
  row: Schema.NullOr(Schema.Number),
  column: Schema.NullOr(Schema.String),
  path: Schema.NullOr(Schema.String)
})
export type ProblemLocation = typeof ProblemLocation.Type

export const ImportProblem = Schema.Struct({
  kind: ImportProblemKind,
  severity: Schema.Literals(["error", "warning"]),
  /** What was wrong and what the importer did about it, for a person to read. */
  message: Schema.String,
  location: ProblemLocation,
  /** The offending text as found in the file ("" when there was none). */
  value: Schema.String,
  /** Key of the position the problem belongs to, when the row became one. */
  positionKey: Schema.NullOr(Schema.String)
})
export type ImportProblem = typeof ImportProblem.Type
