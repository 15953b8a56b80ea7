// Production-profile plumbing for job tests: an AppConfig pointing at the test database and the local Redis under a
// unique key prefix, the Redis service, and a finalizer that deletes every key under that prefix afterwards.
import { AppConfig, parseConfig } from "@costline/server/config/AppConfig"
import { Redis } from "@costline/server/redis/Redis"
import { Effect, Layer } from "effect"
import { TestDatabase } from "../../../../test/support/TestDatabase.ts"

export const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

export const uniquePrefix = (label: string): string => `costline-test-${label}-${crypto.randomUUID().slice(0, 8)}`

/** AppConfig of the production profile on the test database, with its own Redis prefix. */
export const testConfig = (prefix: string) =>
  Layer.effect(
    AppConfig,
    Effect.gen(function* () {
      const database = yield* TestDatabase
      return yield* parseConfig({
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        JWT_SECRET: "test-secret-test-secret-test-secret-0123"
      }).pipe(Effect.orDie)
    })
  )

/** Deletes the prefix's keys when the layer closes (after everything built on top of it has closed). */
export const cleanupKeys = Layer.effectDiscard(
  Effect.gen(function* () {
    const redis = yield* Redis
    const sweep = (cursor: string): Effect.Effect<void> =>
      Effect.promise(() => redis.client.scan(cursor, "MATCH", `${redis.prefix}:*`, "COUNT", 500)).pipe(
        Effect.flatMap(([next, keys]) =>
          (keys.length > 0 ? Effect.promise(() => redis.client.del(...keys)) : Effect.void).pipe(
            Effect.andThen(next === "0" ? Effect.void : sweep(next))
          )
        )
      )
    yield* Effect.addFinalizer(() => sweep("0"))
  })
)

/** Redis on the test prefix, cleaned up afterwards; needs TestDatabase (for the config). */
export const testRedis = (prefix: string) =>
  cleanupKeys.pipe(Layer.provideMerge(Redis.layer), Layer.provideMerge(testConfig(prefix)))
