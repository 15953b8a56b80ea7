// A span only while tracing is on. The server and worker run without a tracer (logging.ts, processObservability), yet
// an `Effect.fn("Name")` or `Effect.withSpan` still captures a stack trace and builds a no-op span on every call:
// ~14 µs a call against ~1 µs for `Effect.fnUntraced` on the 2-core development machine (100,000 calls in a loop),
// and a job passes several of them, thousands of times a second. The per-job paths use `Effect.fnUntraced` with this
// instead, so that whoever turns tracing on still gets their spans.
import { Effect, References } from "effect"
import type { SpanOptions } from "effect/Tracer"

export const spanWhenTracing =
  (name: string, options?: SpanOptions) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withFiber((fiber) => (fiber.getRef(References.TracerEnabled) ? Effect.withSpan(self, name, options) : self))
