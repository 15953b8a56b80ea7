// Keeps a project subscription alive across dropped connections: it resubscribes with the last seq it let through, so
// the consumer sees every seq exactly once and in order. Knows nothing about sockets; the caller passes `subscribe`.
import type { SubscriptionItem } from "@costline/core/contracts/ProjectEvent"
import { Schedule, Stream } from "effect"

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

const Stop = Symbol("Stop")

/**
 * A never-ending stream of subscription items that survives reconnects.
 *
 * ResyncRequired is passed on (the consumer must reload state) and moves the resume point to just before its fromSeq.
 * A replayed seq the consumer already has is dropped; a seq that skips ahead ends the attempt, which resubscribes from
 * the last seq delivered.
 */
export const resumeSubscription = <E, R>(options: ResumeOptions<E, R>): Stream.Stream<SubscriptionItem, E, R> =>
  Stream.suspend(() => {
    let last = options.afterSeq
    const attempt = Stream.suspend(() => {
      let stopped: string | undefined
      // Items arrive in chunks, so a gap must not fail the chunk (that would lose the items before it): it emits Stop,
      // and nothing after it in the attempt moves `last`.
      const admit = (item: SubscriptionItem): ReadonlyArray<SubscriptionItem | typeof Stop> => {
        if (stopped !== undefined) return []
        if (item._tag === "ResyncRequired") {
          last = item.fromSeq - 1
          return [item]
        }
        if (last !== undefined && item.seq <= last) return []
        if (last !== undefined && item.seq !== last + 1) {
          stopped = `expected seq ${last + 1} but got ${item.seq}; resubscribing`
          return [Stop]
        }
        last = item.seq
        return [item]
      }
      return options.subscribe(last).pipe(
        Stream.map(admit),
        Stream.flattenIterable,
        Stream.takeWhile((item): item is SubscriptionItem => item !== Stop),
        // The subscription is meant to last: an attempt that ended (server shutdown, a gap) is made again.
        Stream.concat(
          Stream.suspend(() => Stream.fail(options.restart(stopped ?? "the server ended the subscription")))
        )
      )
    })
    return attempt.pipe(Stream.retry(options.schedule.pipe(Schedule.while(({ input }) => options.isTransient(input)))))
  })
