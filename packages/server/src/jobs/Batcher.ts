// Natural batching of many small calls into few statements: the calls made during one turn of the event loop are
// sent together at its end (a setImmediate), and up to `concurrency` batches are in flight at once; the calls that
// arrive while all of them are busy make the next ones. A lone call waits for the end of its turn (and for a batch to
// end when all `concurrency` are in flight); a burst costs one statement per `maxBatch` calls. With `lingerMs`, a
// batch that is not full waits that long for company first. The job runner batches its status writes with it, the
// job queue its single enqueues.
//
// Sending at the end of the turn rather than of the current task (a microtask, as DataLoader does) gathers the jobs
// that arrive on different sockets in the same turn: at 1,000 single jobs a second it cost the worker ~20% less CPU
// and PostgreSQL ~20% less (bench/jobs.bench.ts, two runs each way).
import { Cause, Deferred, Effect, Exit, FiberSet, type Scope } from "effect"

interface Entry<I, O, E> {
  readonly input: I
  readonly deferred: Deferred.Deferred<O, E>
}

export interface BatcherOptions<I, O, E> {
  /** Runs one batch; must answer one output per input, in the same order. */
  readonly run: (inputs: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<O>, E>
  /**
   * The most inputs in one batch. Smaller batches overlap: while one is in the database the next is on its way, so a
   * burst is answered in parts instead of all at once after the slowest row.
   */
  readonly maxBatch: number
  /** Batches in flight at once (each holds a database connection while it runs). Default 2. */
  readonly concurrency?: number | undefined
  /**
   * How long a batch that is not full waits for more calls before it is sent (default 0: until the end of the turn).
   * Worth it only for calls nobody is held up by: a trickle of calls, each alone in its turn, then costs one statement
   * per `lingerMs` instead of one per call. A batch that fills up is sent at once.
   */
  readonly lingerMs?: number | undefined
}

/**
 * Returns the batched call. A caller interrupted while it waits does not cancel its input: the batch it is in runs
 * anyway (a status write then lands with nobody waiting for it, which the callers of the runner tolerate). Closing the
 * scope interrupts the batches in flight and tells every waiting caller so.
 */
export const make = Effect.fnUntraced(function* <I, O, E>(
  options: BatcherOptions<I, O, E>
): Effect.fn.Return<(input: I) => Effect.Effect<O, E>, never, Scope.Scope> {
  const maxBatch = Math.max(1, Math.trunc(options.maxBatch))
  const concurrency = Math.max(1, Math.trunc(options.concurrency ?? 2))
  const lingerMs = Math.max(0, options.lingerMs ?? 0)
  // The batches run in the scope of `make`, not in the callers' fibers: a caller's interruption cannot cut a batch
  // that carries other callers' inputs.
  const runFork = yield* FiberSet.makeRuntime<never, void, never>()
  let pending: Array<Entry<I, O, E>> = []
  let inFlight = 0
  let flushQueued = false
  let lingering: ReturnType<typeof setTimeout> | undefined
  let closed = false

  const settle = (entries: ReadonlyArray<Entry<I, O, E>>, exit: Exit.Exit<ReadonlyArray<O>, E>) => {
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
  }

  const runBatch = (entries: ReadonlyArray<Entry<I, O, E>>): Effect.Effect<void> =>
    Effect.suspend(() => options.run(entries.map((entry) => entry.input))).pipe(
      Effect.exit,
      Effect.flatMap((exit) => Effect.sync(() => settle(entries, exit))),
      Effect.onInterrupt(() => Effect.sync(() => settle(entries, Exit.failCause(Cause.interrupt())))),
      Effect.ensuring(
        Effect.sync(() => {
          inFlight -= 1
          queueFlush()
        })
      )
    )

  const flush = () => {
    flushQueued = false
    clearTimeout(lingering)
    lingering = undefined
    while (!closed && pending.length > 0 && inFlight < concurrency) {
      const batch = pending.length <= maxBatch ? pending : pending.slice(0, maxBatch)
      pending = pending.length <= maxBatch ? [] : pending.slice(maxBatch)
      inFlight += 1
      runFork(runBatch(batch))
    }
  }

  const queueFlush = () => {
    if (flushQueued || closed || pending.length === 0 || inFlight >= concurrency) return
    if (lingerMs > 0 && pending.length < maxBatch) {
      lingering ??= setTimeout(flush, lingerMs)
      return
    }
    flushQueued = true
    setImmediate(flush)
  }

  // Callers still waiting when the scope closes are told so instead of hanging.
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      closed = true
      clearTimeout(lingering)
      const left = pending
      pending = []
      settle(left, Exit.failCause(Cause.interrupt()))
    })
  )

  return (input: I) =>
    Effect.suspend(() => {
      if (closed) return Effect.interrupt
      const deferred = Deferred.makeUnsafe<O, E>()
      pending.push({ input, deferred })
      queueFlush()
      return Deferred.await(deferred)
    })
})
