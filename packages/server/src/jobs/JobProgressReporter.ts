// The `reportProgress` of one job attempt: normalises what the processor reports, writes at most `maxPerSecond`
// updates in any one-second window (the rest wait as one pending update, written by a trailing flush), estimates the
// time left from the progress rate, and relays what the write learnt: the job was cancelled, or another attempt owns
// it now.
import type { Job } from "@costline/core"
import { Clock, Effect, type Scope, Semaphore } from "effect"
import { spanWhenTracing } from "../config/spanWhenTracing.ts"
import type { ProgressUpdate } from "./JobProcessor.ts"
import type { ProgressRow } from "./JobRepo.ts"

/** What a progress write found out about the attempt. */
export type WriteSignal = "ok" | "cancelled" | "lost"

type Attempt =
  | { readonly _tag: "written"; readonly signal: WriteSignal }
  | { readonly _tag: "wait"; readonly ms: number }

export interface ProgressReporterOptions {
  readonly job: Job
  /** When the attempt started (Clock millis): the ETA is the rate since then. */
  readonly startedAtMs: number
  /**
   * Writes (and JobProgress events) allowed in any one-second window; 10 by default. A short job's few steps all go
   * out at once; a chatty processor is held to this rate, its latest report always written last.
   */
  readonly maxPerSecond: number
  /** Writes the row and its JobProgress event. */
  readonly write: (row: ProgressRow, eta: number | null) => Effect.Effect<WriteSignal>
  /** Whether the attempt is being stopped already (a report then interrupts the processor at once). */
  readonly stopping: () => boolean
  /**
   * A write found the attempt must stop. `inProcessor` is true when the processor's own fiber made the write (it
   * interrupts itself next); otherwise the runner must interrupt the processor.
   */
  readonly onStop: (signal: Exclude<WriteSignal, "ok">, inProcessor: boolean) => Effect.Effect<void>
  /** Holds the trailing flushes; closed by the runner when the attempt ends. */
  readonly scope: Scope.Scope
}

export interface ProgressReporter {
  readonly report: (update: ProgressUpdate) => Effect.Effect<void>
  /**
   * Writes the pending update, if any, as soon as the window allows: the last progress before completion is never
   * dropped (completion waits for it, at most until a slot frees up).
   */
  readonly flush: Effect.Effect<void>
}

const WINDOW_MS = 1000

const clamp = (value: number, min: number, max: number): number =>
  Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min

const wholeNumber = (value: number | undefined, fallback: number): number =>
  value === undefined || !Number.isFinite(value) ? fallback : Math.max(0, Math.trunc(value))

const MIN_ELAPSED_MS = 100

/**
 * Seconds left at the average rate of this attempt, to a tenth of a second; null before any progress or
 * within the first 100 ms. A straight-line
 * estimate: processors whose steps differ much in cost should weight `progress` accordingly.
 */
export const estimateEta = (progress: number, elapsedMs: number): number | null => {
  if (progress >= 1) return 0
  // Too early to tell: a rate over a few milliseconds says nothing.
  if (!(progress > 0) || elapsedMs < MIN_ELAPSED_MS) return null
  return Math.round((elapsedMs * (1 - progress)) / progress / 100) / 10
}

export const make = (options: ProgressReporterOptions): ProgressReporter => {
  let current = { step: options.job.step, totalSteps: options.job.totalSteps }
  let pending: ProgressRow | undefined
  // When the writes of the last second happened, oldest first.
  const recent: Array<number> = []
  const limit = Math.max(1, Math.trunc(options.maxPerSecond))
  let trailingScheduled = false
  // Reports may come from parallel fibers of one processor; writes go out one at a time, in order.
  const lock = Semaphore.makeUnsafe(1)

  // Writes the pending update if the window has room, else says how long until it has. Under the lock, so the
  // processor's own report and a trailing flush never both take the same free slot.
  const tryWrite: Effect.Effect<Attempt> = Semaphore.withPermit(
    lock,
    Effect.gen(function* () {
      const row = pending
      if (row === undefined) return { _tag: "written", signal: "ok" } as const
      const now = yield* Clock.currentTimeMillis
      while (recent.length > 0 && recent[0]! <= now - WINDOW_MS) recent.shift()
      if (recent.length >= limit) return { _tag: "wait", ms: recent[0]! + WINDOW_MS - now } as const
      pending = undefined
      recent.push(now)
      const signal = yield* options.write(row, estimateEta(row.progress, now - options.startedAtMs))
      // Counted from when the write ended: the event's timestamp lies within the write, so subscribers, too, never
      // see more than `limit` events in a second. Only this (locked) code touches `recent`.
      recent[recent.length - 1] = yield* Clock.currentTimeMillis
      return { _tag: "written", signal } as const
    })
  )

  /** Tries until the pending update (if any) is written. */
  const writeEventually: Effect.Effect<WriteSignal> = tryWrite.pipe(
    Effect.flatMap((attempt) =>
      attempt._tag === "written"
        ? Effect.succeed(attempt.signal)
        : Effect.sleep(Math.max(1, attempt.ms)).pipe(Effect.andThen(writeEventually))
    )
  )

  const trailing = writeEventually.pipe(
    Effect.ensuring(
      Effect.sync(() => {
        trailingScheduled = false
      })
    ),
    Effect.flatMap((signal) => (signal === "ok" ? Effect.void : options.onStop(signal, false)))
  )

  const report = (update: ProgressUpdate): Effect.Effect<void> =>
    Effect.gen(function* () {
      if (options.stopping()) return yield* Effect.interrupt
      const step = wholeNumber(update.step, current.step)
      // A processor that does not know its step count yet still gets step <= totalSteps.
      const totalSteps = Math.max(wholeNumber(update.totalSteps, current.totalSteps), step)
      current = { step, totalSteps }
      pending = { progress: clamp(update.progress, 0, 1), message: update.message, step, totalSteps }
      const attempt = yield* tryWrite
      if (attempt._tag === "written" && attempt.signal !== "ok") {
        yield* options.onStop(attempt.signal, true)
        return yield* Effect.interrupt
      }
      if (attempt._tag === "wait" && !trailingScheduled) {
        trailingScheduled = true
        yield* Effect.forkIn(trailing, options.scope)
      }
    }).pipe(spanWhenTracing("JobRunner.reportProgress"))

  // Nothing pending and no trailing write under way (most jobs at their end): nothing to wait for, no lock to take.
  const flush = Effect.suspend(() =>
    pending === undefined && !trailingScheduled ? Effect.void : Effect.asVoid(writeEventually)
  )
  return { report, flush }
}
