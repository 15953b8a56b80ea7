// How the Promise facade runs an SDK effect: the value, or the typed error thrown as is (never a wrapped FiberFailure).
import { Cause, Effect, Exit, Option } from "effect"
import { ConnectionError, type CostlineError } from "./ClientErrors.ts"

/** The error a Promise rejects with for a failed SDK effect: its typed error, or ConnectionError when it was cut off. */
export const toRejection = (operation: string, cause: Cause.Cause<unknown>): unknown => {
  const error = Cause.findErrorOption(cause)
  if (Option.isSome(error)) return error.value
  if (Cause.hasInterruptsOnly(cause)) {
    return new ConnectionError({ message: "the connection is closed: call connect() again", operation })
  }
  return Cause.squash(cause)
}

/** Runs an SDK effect as a Promise that rejects with a CostlineError. */
export const runPromise = <A>(operation: string, effect: Effect.Effect<A, CostlineError>): Promise<A> =>
  Effect.runPromiseExit(effect).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    throw toRejection(operation, exit.cause)
  })
