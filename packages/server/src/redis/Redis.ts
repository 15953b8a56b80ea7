// The production profile's Redis connection (ioredis), shared by the cache, the event bus and the BullMQ adapter.
import { Context, Effect, Layer, Redacted } from "effect"
import { Redis as IORedis } from "ioredis"
import { AppConfig } from "../config/AppConfig.ts"

export interface RedisShape {
  /** A connection for commands. Not for blocking commands or subscriptions: use `duplicate`. */
  readonly client: IORedis
  /** Every key starts with it; BullMQ gets it as its `prefix`. */
  readonly prefix: string
  /** A new connection with the same options (for subscribers and BullMQ workers), closed with the scope. */
  readonly duplicate: (options?: {
    readonly maxRetriesPerRequest?: number | null
  }) => Effect.Effect<IORedis, never, import("effect").Scope.Scope>
  readonly ping: Effect.Effect<boolean>
}

export class Redis extends Context.Service<Redis, RedisShape>()("@costline/server/Redis") {
  static readonly layer = Layer.effect(
    Redis,
    Effect.gen(function* () {
      const config = yield* AppConfig
      if (config.redisUrl === undefined) return yield* Effect.die(new Error("Redis.layer needs REDIS_URL"))
      const url = Redacted.value(config.redisUrl)
      const open = (maxRetriesPerRequest: number | null) =>
        Effect.acquireRelease(
          Effect.sync(
            () => new IORedis(url, { maxRetriesPerRequest, lazyConnect: false, enableAutoPipelining: false })
          ),
          (connection) => Effect.promise(() => connection.quit().catch(() => connection.disconnect()))
        )
      const client = yield* open(3)
      return Redis.of({
        client,
        prefix: config.redisPrefix,
        duplicate: (options) => open(options?.maxRetriesPerRequest === undefined ? 3 : options.maxRetriesPerRequest),
        ping: Effect.tryPromise(() => client.ping()).pipe(
          Effect.timeout("2 seconds"),
          Effect.map((answer) => answer === "PONG"),
          Effect.orElseSucceed(() => false)
        )
      })
    })
  )
}
