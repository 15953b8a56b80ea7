// The resume logic on its own: which attempts it makes and what it lets through, with scripted server answers.
import { JobId, ProjectEvent, ProjectId, ResyncRequired, type SubscriptionItem } from "@costline/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schedule, Stream } from "effect"
import { resumeSubscription } from "../src/resumeSubscription.ts"

const projectId = ProjectId.make("2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11")
const event = (seq: number): SubscriptionItem =>
  ProjectEvent.make({
    projectId,
    seq,
    at: "2025-01-01T00:00:00.000Z",
    event: { _tag: "JobProgress", jobId: JobId.make("j"), progress: 0, message: "", step: seq, totalSteps: 99 }
  })
const resync = (fromSeq: number): SubscriptionItem => ResyncRequired.make({ projectId, fromSeq, message: "old" })

type Failure = { readonly _tag: "Drop" | "Fatal"; readonly message: string }

/** Each attempt plays the next script: items, then an optional failure (a dropped socket or a fatal error). */
const scripted = (scripts: ReadonlyArray<{ items: ReadonlyArray<SubscriptionItem>; failWith?: Failure }>) => {
  const calls: Array<number | undefined> = []
  const subscribe = (afterSeq: number | undefined) => {
    const script = scripts[calls.length] ?? { items: [] }
    calls.push(afterSeq)
    const items = Stream.fromIterable(script.items)
    return script.failWith ? Stream.concat(items, Stream.fail(script.failWith)) : Stream.concat(items, Stream.never)
  }
  return { calls, subscribe }
}

const run = (scripts: Parameters<typeof scripted>[0], take: number, afterSeq: number | undefined = 0) => {
  const server = scripted(scripts)
  return resumeSubscription<Failure, never>({
    subscribe: server.subscribe,
    afterSeq,
    isTransient: (error) => error._tag === "Drop",
    restart: (message) => ({ _tag: "Drop", message }),
    schedule: Schedule.recurs(20)
  }).pipe(
    Stream.take(take),
    Stream.runCollect,
    Effect.map((items) => ({
      seqs: items.map((item) => (item._tag === "ProjectEvent" ? item.seq : `resync@${item.fromSeq}`)),
      calls: server.calls
    }))
  )
}

const drop: Failure = { _tag: "Drop", message: "socket closed" }

describe("resumeSubscription", () => {
  it.effect("resubscribes after a drop from the last seq delivered", () =>
    Effect.gen(function* () {
      const result = yield* run(
        [
          { items: [event(1), event(2)], failWith: drop },
          { items: [event(3)], failWith: drop },
          { items: [event(4), event(5)] }
        ],
        5
      )
      expect(result.seqs).toEqual([1, 2, 3, 4, 5])
      expect(result.calls).toEqual([0, 2, 3])
    })
  )

  it.effect("drops replayed seqs the consumer already has", () =>
    Effect.gen(function* () {
      const result = yield* run(
        [{ items: [event(1), event(2), event(3)], failWith: drop }, { items: [event(2), event(3), event(4)] }],
        4
      )
      expect(result.seqs).toEqual([1, 2, 3, 4])
    })
  )

  it.effect("a skipped seq restarts from the last one instead of delivering a gap", () =>
    Effect.gen(function* () {
      const result = yield* run(
        [{ items: [event(1), event(2), event(5)] }, { items: [event(3), event(4), event(5)] }],
        5
      )
      expect(result.seqs).toEqual([1, 2, 3, 4, 5])
      expect(result.calls).toEqual([0, 2])
    })
  )

  it.effect("passes ResyncRequired on and resumes before its fromSeq", () =>
    Effect.gen(function* () {
      const result = yield* run(
        [{ items: [resync(10), event(10), event(11)], failWith: drop }, { items: [event(12)] }],
        4
      )
      expect(result.seqs).toEqual(["resync@10", 10, 11, 12])
      expect(result.calls).toEqual([0, 11])
    })
  )

  it.effect("a server that ends the stream is asked again", () =>
    Effect.gen(function* () {
      const calls: Array<number | undefined> = []
      const result = yield* resumeSubscription<Failure, never>({
        subscribe: (afterSeq) => {
          calls.push(afterSeq)
          return calls.length === 1 ? Stream.make(event(1)) : Stream.concat(Stream.make(event(2)), Stream.never)
        },
        afterSeq: undefined,
        isTransient: (error) => error._tag === "Drop",
        restart: (message) => ({ _tag: "Drop", message }),
        schedule: Schedule.recurs(5)
      }).pipe(Stream.take(2), Stream.runCollect)
      expect(result.map((item) => item._tag === "ProjectEvent" && item.seq)).toEqual([1, 2])
      expect(calls).toEqual([undefined, 1])
    })
  )

  it.effect("a fatal error ends the stream without another attempt", () =>
    Effect.gen(function* () {
      const server = scripted([{ items: [event(1)], failWith: { _tag: "Fatal", message: "not found" } }])
      const error = yield* resumeSubscription<Failure, never>({
        subscribe: server.subscribe,
        afterSeq: 0,
        isTransient: (error) => error._tag === "Drop",
        restart: (message) => ({ _tag: "Drop", message }),
        schedule: Schedule.recurs(5)
      }).pipe(Stream.runCollect, Effect.flip)
      expect(error).toEqual({ _tag: "Fatal", message: "not found" })
      expect(server.calls).toEqual([0])
    })
  )

  it.effect("gives up with the transient error once the schedule is exhausted", () =>
    Effect.gen(function* () {
      const server = scripted([
        { items: [], failWith: drop },
        { items: [], failWith: drop },
        { items: [], failWith: drop }
      ])
      const error = yield* resumeSubscription<Failure, never>({
        subscribe: server.subscribe,
        afterSeq: 7,
        isTransient: (error) => error._tag === "Drop",
        restart: (message) => ({ _tag: "Drop", message }),
        schedule: Schedule.recurs(2)
      }).pipe(Stream.runCollect, Effect.flip)
      expect(error).toEqual(drop)
      expect(server.calls).toEqual([7, 7, 7])
    })
  )
})
