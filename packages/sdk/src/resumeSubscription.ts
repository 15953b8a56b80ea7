// Keeps a project subscription alive across dropped connections: it resubscribes with the last seq it let through, so
// the consumer sees every seq exactly once and in order. Knows nothing about sockets; the caller passes `subscribe`.
import type { SubscriptionItem } from "@costline/core"
import { Effect, Result, Schedule, Stream } from "effect"

export interface ResumeOptions<E, R> {
  /** Opens one subscription attempt that replays everything after `afterSeq` (or only new events when undefined). */
  readonly subscribe: (afterSeq: number | undefined) => Stream.Stream<SubscriptionItem, E, R>
  /** The seq the consumer already has; undefined to start with new events. */
  readonly afterSeq: number | undefined
  /** Errors worth another attempt (a dropped socket); anything else ends the stream. */
  readonly isTransient: (error: E) => boolean
  /** The transient error used when an attempt must be restarted: it ended, or skipped a seq. */
  readonly restart: (reason: string) => E
  /** Delay between attempts; reset as soon as an attempt delivers an item. */
  readonly schedule: Schedule.Schedule<unknown, E>
}

/**
 * A never-ending stream of subscription items that survives reconnects.
 *
 * ResyncRequired is passed on (the consumer must reload state) and moves the resume point to just before its fromSeq.
 * A replayed seq the consumer already has is dropped; a seq that skips ahead restarts the attempt from the last one.
 */
export const resumeSubscription = <E, R>(options: ResumeOptions<E, R>): Stream.Stream<SubscriptionItem, E, R> =>
  Stream.suspend(() => {
    let last = options.afterSeq
    const admit = (item: SubscriptionItem): Effect.Effect<Result.Result<SubscriptionItem, void>, E> => {
      if (item._tag === "ResyncRequired") {
        last = item.fromSeq - 1
        return Effect.succeed(Result.succeed(item))
      }
      if (last !== undefined && item.seq <= last) return Effect.succeed(Result.failVoid)
      if (last !== undefined && item.seq !== last + 1) {
        return Effect.fail(options.restart(`expected seq ${last + 1} but got ${item.seq}; resubscribing`))
      }
      last = item.seq
      return Effect.succeed(Result.succeed(item))
    }
    const attempt = Stream.suspend(() => options.subscribe(last)).pipe(
      // The subscription is meant to last; a server that ends it (shutdown, rebalancing) is asked again.
      Stream.concat(Stream.suspend(() => Stream.fail(options.restart("the server ended the subscription")))),
      Stream.filterMapEffect(admit)
    )
    return attempt.pipe(Stream.retry(options.schedule.pipe(Schedule.while(({ input }) => options.isTransient(input)))))
  })
