// The processes' JSON log lines: the same text as Logger.formatJson (plain lines take a faster path), secrets redacted,
// the lines of one turn written together, nothing left unwritten when the logger closes.
import { batchedJsonLogger } from "@costline/server/config/logging"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, Redacted } from "effect"

const logWith = (writes: Array<string>, program: Effect.Effect<void>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const logger = yield* batchedJsonLogger((text) => writes.push(text))
      yield* program.pipe(Effect.provide(Logger.layer([logger])))
    })
  )

describe("JSON logs", () => {
  it.effect("a plain line reads as Logger.formatJson's, with annotations and spans", () => {
    const writes: Array<string> = []
    const expected: Array<string> = []
    const line = Effect.logInfo("job completed").pipe(
      Effect.annotateLogs({ jobId: "job-1", deliveries: 2 }),
      Effect.withLogSpan("attempt")
    )
    return Effect.gen(function* () {
      yield* logWith(writes, line)
      yield* line.pipe(Effect.provide(Logger.layer([Logger.map(Logger.formatJson, (text) => expected.push(text))])))
      const ours = JSON.parse(writes.join("").trim())
      const theirs = JSON.parse(expected[0]!)
      // Timestamps and span timings differ by the time between the two calls.
      for (const parsed of [ours, theirs]) {
        delete parsed.timestamp
        parsed.spans.attempt = typeof parsed.spans.attempt
      }
      assert.deepStrictEqual(ours, theirs)
      assert.strictEqual(ours.annotations.jobId, "job-1")
    })
  })

  it.effect("a Redacted annotation never reaches the output; nested values are kept", () => {
    const writes: Array<string> = []
    return Effect.gen(function* () {
      yield* logWith(
        writes,
        Effect.logWarning("login failed").pipe(
          Effect.annotateLogs({ password: Redacted.make("hunter2"), detail: { attempt: 3 } })
        )
      )
      const text = writes.join("")
      assert.notInclude(text, "hunter2")
      assert.deepStrictEqual(JSON.parse(text).annotations.detail, { attempt: 3 })
    })
  })

  it.effect("the lines of one turn go out in one write, and none is lost when the logger closes", () => {
    const writes: Array<string> = []
    return Effect.gen(function* () {
      yield* logWith(
        writes,
        Effect.forEach([1, 2, 3], (n) => Effect.logInfo(`line ${n}`), { discard: true })
      )
      assert.strictEqual(writes.length, 1)
      assert.deepStrictEqual(
        writes[0]!
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line).message),
        ["line 1", "line 2", "line 3"]
      )
    })
  })
})
