// The one error an import fails with: the whole file was rejected (too big, unsafe, unreadable or unmappable).
import { Schema } from "effect"

export const ImportErrorReason = Schema.Literals([
  "too-large",
  "zip-bomb",
  "unsafe-xml",
  "too-deep",
  "too-many-rows",
  "malformed",
  "unsupported-format",
  "unmapped-sheet",
  "empty"
])
export type ImportErrorReason = typeof ImportErrorReason.Type

export class ImportError extends Schema.TaggedError<ImportError>()("ImportError", {
  reason: ImportErrorReason,
  /** Tells the user what was wrong and how to fix the file. */
  message: Schema.String,
  format: Schema.NullOr(Schema.Literals(["unixml", "xlsx", "csv"])),
  fileName: Schema.NullOr(Schema.String),
  /** Sheet name or XML path the failure refers to, when there is one. */
  where: Schema.NullOr(Schema.String),
  /** For an unmappable sheet or CSV: the column headers that were found. */
  headersFound: Schema.Array(Schema.String)
}) {}
