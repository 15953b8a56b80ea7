// How both processes log: LOG_LEVEL mapped to Effect log levels, and one JSON line per entry on stdout, written in
// batches.
import { Effect, type LogLevel as EffectLogLevel, type Layer, Logger } from "effect"
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

/**
 * JSON lines on stdout (Logger.formatJson), the lines of one event-loop turn joined into one write. A worker logs a
 * line per job; written one by one (console.log, a synchronous write on a pipe) they took about a tenth of its CPU
 * time at thousands of jobs a second. Lines wait at most until the end of the current turn (setImmediate), and the
 * rest are written when the logger's scope closes.
 */
const batchedJsonLogger = Effect.gen(function* () {
  let pending: Array<string> = []
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (pending.length === 0) return
    const text = `${pending.join("\n")}\n`
    pending = []
    process.stdout.write(text)
  }
  yield* Effect.addFinalizer(() => Effect.sync(flush))
  return Logger.make((options) => {
    pending.push(Logger.formatJson.log(options))
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  })
})

/** The loggers of the server and worker processes. */
export const jsonLogs: Layer.Layer<never> = Logger.layer([batchedJsonLogger])
