// What /ready reports: every dependency this process needs to serve requests, each "up" or "down".
import { Context, Effect, Layer, Option } from "effect"
import { DatabaseHealth } from "../database/DatabaseHealth.ts"
import { Redis } from "../redis/Redis.ts"

export type Checks = Record<string, "up" | "down">

export class Readiness extends Context.Service<Readiness, { readonly check: Effect.Effect<Checks> }>()(
  "@costline/server/Readiness"
) {
  /** Redis is checked only where the profile has one. */
  static readonly layer = Layer.effect(
    Readiness,
    Effect.gen(function* () {
      const database = yield* DatabaseHealth
      const redis = yield* Effect.serviceOption(Redis)
      const state = (up: boolean): "up" | "down" => (up ? "up" : "down")
      return Readiness.of({
        check: Effect.gen(function* () {
          const [db, redisUp] = yield* Effect.all(
            [database.check, Option.isSome(redis) ? redis.value.ping : Effect.succeed(undefined)],
            { concurrency: "unbounded" }
          )
          const checks: Checks = { database: state(db.database), migrations: state(db.migrations) }
          if (redisUp !== undefined) checks.redis = state(redisUp)
          return checks
        })
      })
    })
  )
}
