// How long one attempt of each job type may run before the runner stops it. Defaults below; each can be set with
// JOB_TIMEOUT_<TYPE> (e.g. JOB_TIMEOUT_PARSE_DOCUMENT=90000 or ="90 seconds"), read once when the runner starts.
import type { JobType } from "@costline/core"
import { Config, Duration, Effect, Option } from "effect"
import { ConfigInvalid } from "../config/AppConfig.ts"

export type JobTimeouts = Readonly<Record<JobType, Duration.Duration>>

/** Generous for the budgets we see (a few thousand positions take seconds); a limit catches a stuck job, not a slow one. */
export const defaultJobTimeouts: JobTimeouts = {
  parse_document: Duration.minutes(5),
  enrich_positions: Duration.minutes(10),
  audit_project: Duration.minutes(10),
  export_budget: Duration.minutes(10),
  recalculate_budget: Duration.minutes(5),
  analytics_refresh: Duration.minutes(30),
  cleanup: Duration.minutes(30)
}

export const timeoutVariable = (type: JobType): string => `JOB_TIMEOUT_${type.toUpperCase()}`

const parseOne = (raw: string): Option.Option<Duration.Duration> => {
  const text = raw.trim()
  if (/^\d+$/.test(text)) return Option.some(Duration.millis(Number(text)))
  // Duration strings ("90 seconds", "5 minutes"); the infinite ones are refused below.
  return Duration.fromInput(text as Duration.Input).pipe(Option.filter((duration) => Duration.isFinite(duration)))
}

/** The defaults with whatever JOB_TIMEOUT_<TYPE> variables `env` sets. */
export const parseJobTimeouts = (env: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function* () {
    const timeouts: Record<string, Duration.Duration> = { ...defaultJobTimeouts }
    for (const type of Object.keys(defaultJobTimeouts) as Array<JobType>) {
      const name = timeoutVariable(type)
      const raw = env[name]
      if (raw === undefined || raw.trim() === "") continue
      const parsed = parseOne(raw)
      if (Option.isNone(parsed) || !Duration.isPositive(parsed.value)) {
        return yield* new ConfigInvalid({
          variable: name,
          message: `${name}=${JSON.stringify(raw)} is invalid: expected milliseconds (e.g. 90000) or a duration such as "90 seconds"`
        })
      }
      timeouts[type] = parsed.value
    }
    // Every key of defaultJobTimeouts was copied, so the record is complete.
    return timeouts as JobTimeouts
  })

/** `parseJobTimeouts` over the process configuration (the environment unless a ConfigProvider says otherwise). */
export const jobTimeoutsFromConfig = Effect.gen(function* () {
  const env: Record<string, string | undefined> = {}
  for (const type of Object.keys(defaultJobTimeouts) as Array<JobType>) {
    const name = timeoutVariable(type)
    env[name] = Option.getOrUndefined(yield* Config.option(Config.String(name)))
  }
  return yield* parseJobTimeouts(env)
})
