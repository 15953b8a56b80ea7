// Carries journaled project events from the process that wrote them to every server process that has subscribers.
// Embedded: an in-process PubSub. Production: one Redis pub/sub channel per deployment (workers publish, servers listen).
import { type ProjectEvent, ProjectEvent as ProjectEventSchema } from "@costline/core"
import { Context, Effect, Layer, PubSub, Schema, type Scope, Stream } from "effect"
import { Redis } from "../redis/Redis.ts"

export class EventBus extends Context.Service<
  EventBus,
  {
    readonly publish: (event: ProjectEvent) => Effect.Effect<void>
    /** Every event published from now on, by any process, for any project. */
    readonly subscribe: Effect.Effect<Stream.Stream<ProjectEvent>, never, Scope.Scope>
  }
>()("@costline/server/EventBus") {
  static readonly layerMemory = Layer.effect(
    EventBus,
    Effect.gen(function* () {
      const hub = yield* PubSub.unbounded<ProjectEvent>()
      return EventBus.of({
        publish: (event) => PubSub.publish(hub, event).pipe(Effect.asVoid),
        subscribe: PubSub.subscribe(hub).pipe(Effect.map((subscription) => Stream.fromSubscription(subscription)))
      })
    })
  )

  static readonly layerRedis = Layer.effect(
    EventBus,
    Effect.gen(function* () {
      const redis = yield* Redis
      const channel = `${redis.prefix}:project-events`
      const hub = yield* PubSub.unbounded<ProjectEvent>()
      const decode = Schema.decodeUnknownOption(Schema.fromJsonString(ProjectEventSchema))
      const subscriber = yield* redis.duplicate({ maxRetriesPerRequest: null })
      subscriber.on("message", (received: string, message: string) => {
        if (received !== channel) return
        const event = decode(message)
        // A message that does not decode comes from another version of the code; the journal still has it.
        if (event._tag === "Some") PubSub.publishUnsafe(hub, event.value)
      })
      yield* Effect.tryPromise(() => subscriber.subscribe(channel)).pipe(Effect.orDie)
      return EventBus.of({
        publish: (event) =>
          Effect.tryPromise(() => redis.client.publish(channel, JSON.stringify(event))).pipe(
            // Subscribers fill gaps from the journal by seq, so a lost publish delays an event but never loses it.
            Effect.catch((error) => Effect.logWarning("event publish failed", error)),
            Effect.asVoid
          ),
        subscribe: PubSub.subscribe(hub).pipe(Effect.map((subscription) => Stream.fromSubscription(subscription)))
      })
    })
  )
}
