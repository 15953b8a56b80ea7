// The one error the database layers fail with at startup, naming the step that failed and how to fix it.
import { Schema } from "effect"

export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  /** The step that failed: opening the embedded database, reaching PostgreSQL, or applying migrations. */
  operation: Schema.Literals(["start_embedded", "connect", "migrate"]),
  message: Schema.String,
  cause: Schema.Defect()
}) {}
