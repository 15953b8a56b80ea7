// How both processes log: LOG_LEVEL mapped to Effect log levels, and one JSON line per entry on stdout, written in
// batches.
import { Effect, type LogLevel as EffectLogLevel, Formatter, type Layer, Logger, References } from "effect"
import type { LogLevel } from "./AppConfig.ts"

const LEVELS: Record<LogLevel, EffectLogLevel.LogLevel> = {
  trace: "Trace",
  debug: "Debug",
  info: "Info",
  warn: "Warn",
  error: "Error",
  fatal: "Fatal"
}

export const logLevelOf = (level: LogLevel): EffectLogLevel.LogLevel => LEVELS[level]

const isPrimitive = (value: unknown): boolean =>
  value === null || (typeof value !== "object" && typeof value !== "bigint" && typeof value !== "function")

/** Only strings, numbers, booleans, null and undefined one level down (annotations, spans), none further. */
const isFlat = (value: unknown): boolean =>
  isPrimitive(value) ||
  (typeof value === "object" &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    Object.values(value).every(isPrimitive))

/**
 * Logger.formatJson's line. Formatter.formatJson guards against getters, cycles and Redacted values by visiting every
 * property with its own replacer, which made it the costliest part of a job's log line; a line of plain values (the
 * usual one: a message, string annotations, span timings) has none of those, so JSON.stringify gives the same text.
 */
const jsonLine = (options: Parameters<typeof Logger.formatStructured.log>[0]): string => {
  const structured = Logger.formatStructured.log(options)
  return Object.values(structured).every(isFlat) ? JSON.stringify(structured) : Formatter.formatJson(structured)
}

/**
 * JSON lines on stdout (the shape of Logger.formatJson), the lines of one event-loop turn joined into one write. A worker logs a
 * line per job; written one by one (console.log, a synchronous write on a pipe) they took about a tenth of its CPU
 * time at thousands of jobs a second. Lines wait at most until the end of the current turn (setImmediate), and the
 * rest are written when the logger's scope closes.
 */
export const batchedJsonLogger = (write: (text: string) => void) =>
  Effect.gen(function* () {
    let pending: Array<string> = []
    let scheduled = false
    const flush = () => {
      scheduled = false
      if (pending.length === 0) return
      const text = `${pending.join("\n")}\n`
      pending = []
      write(text)
    }
    yield* Effect.addFinalizer(() => Effect.sync(flush))
    return Logger.make((options) => {
      pending.push(jsonLine(options))
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    })
  })

/** The loggers of the server and worker processes: JSON lines on stdout. */
export const jsonLogs: Layer.Layer<never> = Logger.layer([batchedJsonLogger((text) => process.stdout.write(text))])

/**
 * How the server and worker processes run their program: JSON logs from `logLevel` up, and no tracing. No tracer is
 * installed (nothing exports spans), so the spans of every Effect.fn and SQL statement would be built and dropped, on
 * each request and several times for each job: about 15% of a small request's CPU time. Whoever adds an exporter
 * turns it on here.
 */
export const processObservability =
  (logLevel: LogLevel) =>
  <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    program.pipe(
      Effect.provide(jsonLogs),
      Effect.provideService(References.MinimumLogLevel, logLevelOf(logLevel)),
      Effect.provideService(References.TracerEnabled, false)
    )
