// Checks a caller's input against a contract schema before it goes on the wire, so a mistake comes back as an
// InvalidRequest naming the field instead of an encoding defect or a round trip.
import { Effect, Schema } from "effect"
import type { CostlineError } from "./ClientErrors.ts"
import { invalidInput } from "./toCostlineError.ts"

/** Decodes untrusted input with `schema`; a failure is an InvalidRequest naming the first offending field. */
export const validate =
  <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) =>
  (input: unknown): Effect.Effect<S["Type"], CostlineError> =>
    Effect.mapError(Schema.decodeUnknownEffect(schema)(input), invalidInput)
