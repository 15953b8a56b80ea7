// The per-job paths' spans exist only while tracing is on: with it on, the effect runs inside a span of that name and
// attributes; with it off (how the server and worker run), inside none.
import { spanWhenTracing } from "@costline/server/config/spanWhenTracing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, References } from "effect"

const currentSpanName = Effect.currentSpan.pipe(
  Effect.map((span) => Option.some({ name: span.name, attributes: Object.fromEntries(span.attributes) })),
  Effect.catch(() => Effect.succeed(Option.none()))
)

describe("spanWhenTracing", () => {
  it.effect("wraps the effect in a span of that name while tracing is on", () =>
    Effect.gen(function* () {
      const seen = yield* currentSpanName.pipe(
        spanWhenTracing("JobRunner.attempt", { attributes: { jobType: "cleanup" } }),
        Effect.provideService(References.TracerEnabled, true)
      )
      assert.deepStrictEqual(seen, Option.some({ name: "JobRunner.attempt", attributes: { jobType: "cleanup" } }))
    })
  )

  it.effect("adds no span while tracing is off", () =>
    Effect.gen(function* () {
      const seen = yield* currentSpanName.pipe(
        spanWhenTracing("JobRunner.attempt"),
        Effect.provideService(References.TracerEnabled, false)
      )
      assert.isTrue(Option.isNone(seen))
    })
  )
})
