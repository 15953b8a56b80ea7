// Test-only job behaviours, loaded only when COSTLINE_TEST_PROCESSORS=1 (see JobQueue.withTestProcessorsWhenEnabled and
// the worker): a job whose payload carries `test` does what it says instead of its type's work, so end-to-end tests
// and benchmarks can run no-op, slow or failing jobs through real servers and worker processes. Every other job runs
// its real processor, after COSTLINE_TEST_JOB_DELAY_MS when that is set (to catch jobs while they are queued).
import type { JobType } from "@costline/core"
import { Effect, Option, Schema } from "effect"
import { PermanentJobFailure, RetryableJobFailure } from "./JobFailure.ts"
import type { JobProcessor } from "./JobProcessor.ts"
import type { JobProcessors } from "./JobProcessors.ts"

export const TestBehaviour = Schema.Union([
  /** Returns at once. */
  Schema.Struct({ kind: Schema.Literal("noop") }),
  /** Returns at once with the wall-clock time it started (ms, fractional): enqueue → start latency in benchmarks. */
  Schema.Struct({ kind: Schema.Literal("stamp") }),
  /** `steps` steps of `stepMs` each, reporting progress before each; the result names the process that finished. */
  Schema.Struct({ kind: Schema.Literal("steps"), steps: Schema.Int, stepMs: Schema.Number }),
  /** Fails until attempt `succeedOnAttempt` (never when absent). */
  Schema.Struct({
    kind: Schema.Literal("fail"),
    message: Schema.String,
    retryable: Schema.Boolean,
    succeedOnAttempt: Schema.optionalKey(Schema.Int)
  })
])
export type TestBehaviour = typeof TestBehaviour.Type

const decodeTest = Schema.decodeUnknownOption(Schema.Struct({ test: TestBehaviour }))

const run =
  (behaviour: TestBehaviour): JobProcessor =>
  (context) => {
    switch (behaviour.kind) {
      case "noop":
        return Effect.succeed({ ok: true })
      case "stamp":
        return Effect.sync(() => ({ startedAt: performance.timeOrigin + performance.now() }))
      case "steps":
        return Effect.gen(function* () {
          for (let step = 1; step <= behaviour.steps; step++) {
            yield* context.reportProgress({
              progress: (step - 1) / behaviour.steps,
              message: `test step ${step} of ${behaviour.steps}`,
              step,
              totalSteps: behaviour.steps
            })
            yield* Effect.sleep(behaviour.stepMs)
          }
          return { steps: behaviour.steps, pid: process.pid, attempt: context.job.attempts }
        })
      case "fail":
        return behaviour.succeedOnAttempt !== undefined && context.job.attempts >= behaviour.succeedOnAttempt
          ? Effect.succeed({ succeededOnAttempt: context.job.attempts })
          : Effect.fail(
              behaviour.retryable
                ? new RetryableJobFailure({ message: behaviour.message })
                : new PermanentJobFailure({ message: behaviour.message })
            )
    }
  }

const ALL_TYPES: ReadonlyArray<JobType> = [
  "parse_document",
  "enrich_positions",
  "audit_project",
  "export_budget",
  "recalculate_budget",
  "analytics_refresh",
  "cleanup"
]

/** `base` plus the test behaviours, for every job type. */
export const withTestProcessors = (
  base: JobProcessors["Service"],
  options: { readonly delayMs?: number | undefined } = {}
): JobProcessors["Service"] => {
  const delayMs = options.delayMs ?? Number(process.env.COSTLINE_TEST_JOB_DELAY_MS ?? 0)
  const wrapped =
    (type: JobType): JobProcessor =>
    (context) => {
      const test = decodeTest(context.payload)
      if (Option.isSome(test)) return run(test.value.test)(context)
      const real = base.get(type)
      const delay = delayMs > 0 ? Effect.sleep(delayMs) : Effect.void
      return Option.isNone(real)
        ? Effect.fail(new PermanentJobFailure({ message: `no processor is registered for job type "${type}"` }))
        : Effect.andThen(delay, real.value(context))
    }
  return {
    get: (type) => (ALL_TYPES.includes(type as JobType) ? Option.some(wrapped(type as JobType)) : base.get(type)),
    types: ALL_TYPES
  }
}
