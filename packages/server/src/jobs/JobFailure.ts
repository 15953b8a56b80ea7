// How a job processor says that it failed: for now (another attempt may succeed) or for good (retrying cannot help).
// The runner turns these into the job's error; only the BullMQ adapter knows how a queue library expresses them.
import { Effect, Schema } from "effect"
import type { SqlError } from "effect/sql/SqlError"

/** A transient failure (a lost connection, a busy dependency): the job is attempted again after a backoff. */
export class RetryableJobFailure extends Schema.TaggedError<RetryableJobFailure>()("RetryableJobFailure", {
  message: Schema.String
}) {}

/** A permanent failure (bad input, a corrupt file, a missing project): the job fails at once, whatever attempts are left. */
export class PermanentJobFailure extends Schema.TaggedError<PermanentJobFailure>()("PermanentJobFailure", {
  message: Schema.String
}) {}

export type JobFailure = RetryableJobFailure | PermanentJobFailure

/**
 * Database trouble inside a processor is transient: the rows are still there once the connection is back. The job's
 * error (which users see) names the step only; the driver's message goes to the log.
 */
export const retryOnSqlError =
  (operation: string) =>
  <A, R>(self: Effect.Effect<A, SqlError, R>): Effect.Effect<A, RetryableJobFailure, R> =>
    Effect.catch(self, (error) =>
      Effect.logWarning(`${operation}: database error`, error).pipe(
        Effect.andThen(
          Effect.fail(new RetryableJobFailure({ message: `${operation} failed: the database did not answer` }))
        )
      )
    )
