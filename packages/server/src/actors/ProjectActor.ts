// The per-project actor: every command on a project goes through it, one at a time per project (cluster entity).
// Owns the order of commands; does NOT own storage (repositories) or delivery of events (ProjectHub).
import { Job, type ProjectId, SubscriptionItem, UserId } from "@costline/core"
import { Effect, Schema } from "effect"
import { Entity } from "effect/cluster"
import { Rpc } from "effect/rpc"
import { ProjectHub } from "../events/ProjectHub.ts"
import { JobQueue } from "../jobs/JobQueue.ts"

export const Recalculate = Rpc.make("Recalculate", {
  payload: { requestedBy: UserId },
  success: Job
})

/** Forked: a subscription must not hold the mailbox while it streams. */
export const Subscribe = Rpc.make("Subscribe", {
  payload: { afterSeq: Schema.optionalKey(Schema.Int) },
  success: SubscriptionItem,
  stream: true
})

export const ProjectActor = Entity.make("Project", [Recalculate, Subscribe])

export const ProjectActorLayer = ProjectActor.toLayer(
  Effect.gen(function* () {
    const address = yield* Entity.CurrentAddress
    const projectId = address.entityId as string as ProjectId
    const jobs = yield* JobQueue
    const hub = yield* ProjectHub

    return ProjectActor.of({
      Recalculate: ({ payload }) =>
        jobs.enqueue({
          type: "recalculate_budget",
          projectId,
          payload: {},
          createdBy: payload.requestedBy
        }),
      Subscribe: ({ payload }) => Rpc.fork(hub.subscribe(projectId, payload.afterSeq))
    })
  }),
  { maxIdleTime: "5 minutes" }
)
