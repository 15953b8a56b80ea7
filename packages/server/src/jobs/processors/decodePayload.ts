// Decodes a job's stored payload with its schema; a payload that does not decode is a bug at the enqueueing side, so
// the job fails for good with the schema's message instead of being retried.
import { Effect, Schema } from "effect"
import { PermanentJobFailure } from "../JobFailure.ts"

export const decodePayload = <S extends Schema.Codec<unknown, unknown>>(
  schema: S,
  payload: unknown,
  jobType: string
): Effect.Effect<S["Type"], PermanentJobFailure> =>
  Schema.decodeUnknownEffect(schema)(payload).pipe(
    Effect.mapError(
      (error) => new PermanentJobFailure({ message: `the ${jobType} job's payload is invalid: ${error.message}` })
    )
  )
