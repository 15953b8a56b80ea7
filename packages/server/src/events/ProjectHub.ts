// Delivers one project's events to a subscriber in seq order, exactly once: journal replay first, then live events,
// with any gap in the live feed filled from the journal. Owns ordering; does NOT own authorisation (callers check).
import type { ProjectEvent, ProjectId, SubscriptionItem } from "@costline/core"
import { Context, Effect, Layer, Stream } from "effect"
import { EventBus } from "./EventBus.ts"
import { ProjectEventLog } from "./ProjectEventLog.ts"

const PAGE = 500

export class ProjectHub extends Context.Service<
  ProjectHub,
  {
    /**
     * Events after `afterSeq` (omitted: only new ones). When the journal no longer holds the events right after
     * `afterSeq`, a ResyncRequired notice comes first and the stream continues from the oldest kept event.
     */
    readonly subscribe: (projectId: ProjectId, afterSeq: number | undefined) => Stream.Stream<SubscriptionItem>
  }
>()("@costline/server/ProjectHub") {
  static readonly layer = Layer.effect(
    ProjectHub,
    Effect.gen(function* () {
      const bus = yield* EventBus
      const log = yield* ProjectEventLog

      const replayAfter = (projectId: ProjectId, after: number): Stream.Stream<ProjectEvent> =>
        Stream.unwrap(
          log.readAfter(projectId, after, PAGE).pipe(
            Effect.map((events) => {
              const last = events.at(-1)
              return last === undefined || events.length < PAGE
                ? Stream.fromIterable(events)
                : Stream.concat(Stream.fromIterable(events), replayAfter(projectId, last.seq))
            })
          )
        )

      const subscribe = (projectId: ProjectId, afterSeq: number | undefined): Stream.Stream<SubscriptionItem> =>
        Stream.unwrap(
          Effect.gen(function* () {
            // Listen before reading the journal, so nothing published in between is missed.
            const live = (yield* bus.subscribe).pipe(Stream.filter((event) => event.projectId === projectId))
            const { first, last } = yield* log.bounds(projectId)
            const notices: Array<SubscriptionItem> = []
            let delivered = afterSeq ?? last
            if (afterSeq !== undefined && (afterSeq < first - 1 || afterSeq > last)) {
              // Either the journal was trimmed past the client's position, or the client saw a seq this
              // journal never had (a restored database): both mean the client must reload.
              const fromSeq = afterSeq > last ? last + 1 : first
              notices.push({
                _tag: "ResyncRequired",
                projectId,
                fromSeq,
                message: `events after seq ${afterSeq} are no longer available; reload the project, then apply events from seq ${fromSeq}`
              })
              delivered = fromSeq - 1
            }

            // Each incoming event (replayed or live) yields the events that make the output gap-free.
            const inOrder = (event: ProjectEvent): Effect.Effect<ReadonlyArray<ProjectEvent>> => {
              if (event.seq <= delivered) return Effect.succeed([])
              if (event.seq === delivered + 1) {
                delivered = event.seq
                return Effect.succeed([event])
              }
              return log.readAfter(projectId, delivered, event.seq - delivered).pipe(
                Effect.map((missing) => {
                  const out: Array<ProjectEvent> = []
                  for (const candidate of missing) {
                    if (candidate.seq === delivered + 1) {
                      delivered = candidate.seq
                      out.push(candidate)
                    }
                  }
                  return out
                })
              )
            }

            const events = Stream.concat(replayAfter(projectId, delivered), live).pipe(
              Stream.mapEffect(inOrder),
              Stream.flattenIterable
            )
            return Stream.concat(Stream.fromIterable(notices), events)
          })
        )

      return ProjectHub.of({ subscribe })
    })
  )
}
