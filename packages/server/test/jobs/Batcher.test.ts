// The batching of the runner's status writes and the queue's single enqueues: the calls of one turn go together (of
// several turns, with a linger), no batch exceeds its size, at most `concurrency` run at once and the rest wait for
// them, every caller gets its own answer (or its batch's failure, defect or interruption), a caller that stops waiting
// does not take its batch down, and closing answers everyone still waiting, sending nothing more.
import * as Batcher from "@costline/server/jobs/Batcher"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Scope } from "effect"

/** A batch function that records each batch and holds it until `release` is opened, when `gated`. */
const recorder = (options: { readonly gated?: boolean } = {}) => {
  const batches: Array<ReadonlyArray<number>> = []
  let running = 0
  let mostRunning = 0
  const release = Deferred.makeUnsafe<void>()
  const run = (inputs: ReadonlyArray<number>) =>
    Effect.gen(function* () {
      batches.push(inputs)
      running += 1
      mostRunning = Math.max(mostRunning, running)
      if (options.gated) yield* Deferred.await(release)
      running -= 1
      return inputs.map((input) => input * 10)
    })
  return {
    batches,
    run,
    release,
    get mostRunning() {
      return mostRunning
    }
  }
}

const callAll = <E>(call: (input: number) => Effect.Effect<number, E>, inputs: ReadonlyArray<number>) =>
  Effect.forEach(inputs, call, { concurrency: "unbounded" })

describe("Batcher", () => {
  it.effect("a lone call is answered in a batch of its own", () =>
    Effect.gen(function* () {
      const batches = recorder()
      const call = yield* Batcher.make({ run: batches.run, maxBatch: 25 })
      assert.strictEqual(yield* call(7), 70)
      assert.deepStrictEqual(batches.batches, [[7]])
    }).pipe(Effect.scoped)
  )

  it.effect("the calls of one turn share batches of at most maxBatch, each caller getting its own answer", () =>
    Effect.gen(function* () {
      const batches = recorder()
      const call = yield* Batcher.make({ run: batches.run, maxBatch: 25, concurrency: 4 })
      const inputs = Array.from({ length: 60 }, (_, index) => index)
      const answers = yield* callAll(call, inputs)
      assert.deepStrictEqual(
        answers,
        inputs.map((input) => input * 10)
      )
      assert.deepStrictEqual(
        batches.batches.map((batch) => batch.length),
        [25, 25, 10]
      )
      assert.deepStrictEqual(batches.batches.flat(), inputs)
    }).pipe(Effect.scoped)
  )

  it.live("with lingerMs, calls of different turns within the linger share a batch; a full batch goes at once", () =>
    Effect.gen(function* () {
      const lingering = recorder()
      const call = yield* Batcher.make({ run: lingering.run, maxBatch: 3, lingerMs: 300 })
      const first = yield* Effect.forkChild(call(1))
      yield* Effect.sleep("30 millis")
      const second = yield* Effect.forkChild(call(2))
      assert.deepStrictEqual([yield* Fiber.join(first), yield* Fiber.join(second)], [10, 20])
      // Without the linger each call would have gone at the end of its own turn: [[1], [2]].
      assert.deepStrictEqual(lingering.batches, [[1, 2]])

      // A linger far beyond the test's time limit: a full batch that waited for it would time the test out.
      const full = recorder()
      const fullCall = yield* Batcher.make({ run: full.run, maxBatch: 3, lingerMs: 60_000 })
      assert.deepStrictEqual(yield* callAll(fullCall, [4, 5, 6]), [40, 50, 60])
      assert.deepStrictEqual(full.batches, [[4, 5, 6]])
    }).pipe(Effect.scoped)
  )

  it.live("at most `concurrency` batches run at once; calls made meanwhile wait and go together", () =>
    Effect.gen(function* () {
      const batches = recorder({ gated: true })
      const call = yield* Batcher.make({ run: batches.run, maxBatch: 2, concurrency: 2 })
      const first = yield* Effect.forkChild(callAll(call, [1, 2, 3, 4]))
      // Both batches are held in `run`: the next calls cannot start a third.
      yield* Effect.yieldNow
      while (batches.batches.length < 2) yield* Effect.sleep("1 millis")
      const later = yield* Effect.forkChild(callAll(call, [5, 6, 7]))
      yield* Effect.sleep("20 millis")
      assert.strictEqual(batches.batches.length, 2)
      yield* Deferred.succeed(batches.release, undefined)
      assert.deepStrictEqual(yield* Fiber.join(first), [10, 20, 30, 40])
      assert.deepStrictEqual(yield* Fiber.join(later), [50, 60, 70])
      assert.strictEqual(batches.mostRunning, 2)
      assert.deepStrictEqual(batches.batches, [[1, 2], [3, 4], [5, 6], [7]])
    }).pipe(Effect.scoped)
  )

  it.effect("a failed batch fails each of its callers with its error; a wrong number of answers is a defect", () =>
    Effect.gen(function* () {
      const failing = yield* Batcher.make<number, number, string>({
        run: () => Effect.fail("database down"),
        maxBatch: 10
      })
      const failed = yield* Effect.exit(callAll(failing, [1, 2]))
      assert.deepStrictEqual(failed, Exit.fail("database down"))

      const short = yield* Batcher.make<number, number, never>({ run: () => Effect.succeed([1]), maxBatch: 10 })
      const died = yield* Effect.exit(callAll(short, [1, 2]))
      assert.isTrue(Exit.isFailure(died) && Cause.hasDies(died.cause))
      assert.include(String(Exit.isFailure(died) ? Cause.squash(died.cause) : ""), "answered 1 results for 2 inputs")
    }).pipe(Effect.scoped)
  )

  it.effect(
    "a batch that dies or interrupts itself answers each of its callers so, and the next batches still run",
    () =>
      Effect.gen(function* () {
        let batches = 0
        const call = yield* Batcher.make<number, number, never>({
          run: (inputs) =>
            Effect.suspend(() => {
              batches += 1
              if (batches === 1) return Effect.die(new Error("driver bug"))
              if (batches === 2) return Effect.interrupt
              return Effect.succeed(inputs)
            }),
          maxBatch: 10
        })
        const died = yield* Effect.exit(callAll(call, [1, 2]))
        assert.isTrue(Exit.isFailure(died) && Cause.hasDies(died.cause))
        const interrupted = yield* Effect.exit(call(3))
        assert.isTrue(Exit.isFailure(interrupted) && Cause.hasInterruptsOnly(interrupted.cause))
        assert.deepStrictEqual(yield* callAll(call, [4, 5]), [4, 5])
      }).pipe(Effect.scoped)
  )

  it.live("a caller interrupted while it waits does not cancel the batch that carries other callers", () =>
    Effect.gen(function* () {
      const batches = recorder({ gated: true })
      const call = yield* Batcher.make({ run: batches.run, maxBatch: 10 })
      const leaving = yield* Effect.forkChild(call(1))
      const staying = yield* Effect.forkChild(call(2))
      while (batches.batches.length < 1) yield* Effect.sleep("1 millis")
      yield* Fiber.interrupt(leaving)
      yield* Deferred.succeed(batches.release, undefined)
      assert.strictEqual(yield* Fiber.join(staying), 20)
      assert.deepStrictEqual(batches.batches, [[1, 2]])
    }).pipe(Effect.scoped)
  )

  it.live(
    "closing the scope interrupts the callers still waiting, in flight or queued, instead of leaving them hanging",
    () =>
      Effect.gen(function* () {
        const batches = recorder({ gated: true })
        const scope = yield* Scope.make()
        const call = yield* Batcher.make({ run: batches.run, maxBatch: 1, concurrency: 1 }).pipe(Scope.provide(scope))
        const inFlight = yield* Effect.forkChild(call(1))
        const queued = yield* Effect.forkChild(call(2))
        while (batches.batches.length < 1) yield* Effect.sleep("1 millis")
        yield* Scope.close(scope, Exit.void)
        const exits = [yield* Fiber.await(inFlight), yield* Fiber.await(queued)]
        for (const exit of exits) assert.isTrue(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause))
        assert.isTrue(Exit.isFailure(yield* Effect.exit(call(3))))
      })
  )

  it.effect("a call whose batch was not sent yet when the scope closes is interrupted, and never sent", () =>
    Effect.gen(function* () {
      const batches = recorder()
      const scope = yield* Scope.make()
      const call = yield* Batcher.make({ run: batches.run, maxBatch: 10 }).pipe(Scope.provide(scope))
      // Made and closed in the same turn: the flush due at the end of the turn finds the batcher closed.
      const unsent = yield* Effect.forkChild(call(1), { startImmediately: true })
      yield* Scope.close(scope, Exit.void)
      const exit = yield* Fiber.await(unsent)
      assert.isTrue(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause))
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      assert.deepStrictEqual(batches.batches, [])
    })
  )
})
