// Natural batching of many small calls into few statements: callers that arrive while a batch is in flight go
// together into the next one, so a lone call waits no longer than one round trip and a burst of calls costs one
// statement per batch instead of one per call. The job runner batches its status writes with it.
import { Cause, Deferred, Effect, Exit, Queue, type Scope } from "effect"

interface Entry<I, O, E> {
  readonly input: I
  readonly deferred: Deferred.Deferred<O, E>
}

export interface BatcherOptions<I, O, E> {
  /** Runs one batch; must answer one output per input, in the same order. */
  readonly run: (inputs: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<O>, E>
  /** The most inputs in one batch. */
  readonly maxBatch: number
  /** Batches in flight at once (each holds a database connection while it runs). Default 2. */
  readonly concurrency?: number | undefined
}

/**
 * Returns the batched call. A caller interrupted while it waits does not cancel its input: the batch it is in runs
 * anyway (a status write then lands with nobody waiting for it, which the callers of the runner tolerate).
 */
export const make = Effect.fnUntraced(function* <I, O, E>(
  options: BatcherOptions<I, O, E>
): Effect.fn.Return<(input: I) => Effect.Effect<O, E>, never, Scope.Scope> {
  const queue = yield* Queue.unbounded<Entry<I, O, E>>()
  const maxBatch = Math.max(1, Math.trunc(options.maxBatch))

  const runBatch = (entries: ReadonlyArray<Entry<I, O, E>>) =>
    options.run(entries.map((entry) => entry.input)).pipe(
      Effect.exit,
      Effect.flatMap((exit) =>
        Effect.sync(() => {
          if (Exit.isSuccess(exit) && exit.value.length !== entries.length) {
            const defect = new Error(`batch answered ${exit.value.length} results for ${entries.length} inputs`)
            for (const entry of entries) Deferred.doneUnsafe(entry.deferred, Effect.die(defect))
            return
          }
          entries.forEach((entry, index) => {
            Deferred.doneUnsafe(
              entry.deferred,
              Exit.isSuccess(exit) ? Effect.succeed(exit.value[index]!) : Effect.failCause(exit.cause)
            )
          })
        })
      ),
      Effect.onInterrupt(() =>
        Effect.sync(() => {
          for (const entry of entries) Deferred.doneUnsafe(entry.deferred, Effect.failCause(Cause.interrupt()))
        })
      )
    )

  const loop = Queue.takeBetween(queue, 1, maxBatch).pipe(Effect.flatMap(runBatch), Effect.forever)
  for (let i = 0; i < Math.max(1, options.concurrency ?? 2); i++) yield* Effect.forkScoped(loop)
  // Callers still waiting when the scope closes are told so instead of hanging.
  yield* Effect.addFinalizer(() =>
    Queue.clear(queue).pipe(
      Effect.flatMap((entries) =>
        Effect.sync(() => {
          for (const entry of entries) Deferred.doneUnsafe(entry.deferred, Effect.failCause(Cause.interrupt()))
        })
      )
    )
  )

  return (input: I) =>
    Effect.suspend(() => {
      const deferred = Deferred.makeUnsafe<O, E>()
      Queue.offerUnsafe(queue, { input, deferred })
      return Deferred.await(deferred)
    })
})
