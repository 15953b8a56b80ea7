// Maps LOG_LEVEL values to Effect log levels.
import type { LogLevel as EffectLogLevel } from "effect"
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
