// A project subscription as the Promise facade hands it out: push (onEvent) or pull (for await), stopped by
// unsubscribe, with `done` reporting how it ended.
import type { SubscriptionItem } from "@costline/core/contracts/ProjectEvent"
import { Cause, Effect, Exit, Fiber, Stream } from "effect"
import type { CostlineError } from "./ClientErrors.ts"
import { toRejection } from "./runPromise.ts"

export interface ProjectSubscriptionOptions {
  /**
   * The last seq already seen: everything after it is replayed first. Omit to receive new events only (counted from
   * the project's `lastEventSeq` when subscribing, so a drop before the first event loses nothing).
   */
  readonly afterSeq?: number
  /** Receives every item in order; a returned Promise is awaited before the next item (backpressure). */
  readonly onEvent?: (item: SubscriptionItem) => void | Promise<void>
  /** Called once with what ended the subscription: a CostlineError, or what onEvent threw. */
  readonly onError?: (error: unknown) => void
}

export interface ProjectSubscription extends AsyncIterable<SubscriptionItem> {
  /** Stops the subscription; resolves once it has stopped. */
  readonly unsubscribe: () => Promise<void>
  /** Resolves when the subscription stops normally (unsubscribe, close); rejects with the error that ended it. */
  readonly done: Promise<void>
}

/** Wraps a subscription stream; with `onEvent` it starts at once, otherwise on the first `for await`. */
export const makeProjectSubscription = (
  items: Stream.Stream<SubscriptionItem, CostlineError>,
  options: ProjectSubscriptionOptions,
  onStop: () => void
): ProjectSubscription => {
  let resolveDone!: () => void
  let rejectDone!: (error: unknown) => void
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve
    rejectDone = reject
  })
  // `done` is informational: nobody has to await it, so its rejection must not count as unhandled.
  done.catch(() => {})

  let settled = false
  const settle = (exit: Exit.Exit<unknown, unknown>) => {
    if (settled) return
    settled = true
    onStop()
    if (Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause)) return resolveDone()
    const error = toRejection("subscribeProject", exit.cause)
    options.onError?.(error)
    rejectDone(error)
  }

  const onEvent = options.onEvent
  if (onEvent !== undefined) {
    const fiber = Effect.runFork(
      Stream.runForEach(items, (item) =>
        Effect.tryPromise({ try: () => Promise.resolve(onEvent(item)), catch: (e) => e })
      )
    )
    fiber.addObserver(settle)
    return {
      unsubscribe: () => Effect.runPromise(Fiber.interrupt(fiber)).then(() => done),
      done,
      [Symbol.asyncIterator]: () => {
        throw new TypeError("this subscription delivers to onEvent; subscribe without onEvent to iterate it")
      }
    }
  }

  let iterator: AsyncIterator<SubscriptionItem> | undefined
  return {
    unsubscribe: () => {
      if (iterator?.return === undefined) {
        settle(Exit.void)
        return done
      }
      // An iterator that was never pulled has no stream to end, so settle here too (a no-op if already settled).
      return iterator.return().then(() => {
        settle(Exit.void)
        return done
      })
    },
    done,
    [Symbol.asyncIterator]: () => {
      if (iterator !== undefined) throw new TypeError("a project subscription can be iterated only once")
      if (settled) throw new TypeError("this subscription was already stopped")
      iterator = Stream.toAsyncIterable(items.pipe(Stream.onExit((exit) => Effect.sync(() => settle(exit)))))[
        Symbol.asyncIterator
      ]()
      return iterator
    }
  }
}
