// How each process runs the pipeline's processors. Both write versions through the project's actor: the embedded
// server runs them in its in-process queue next to its own runner; the worker runs them from BullMQ as a cluster client
// of the servers' runners, and enqueues follow-ups to BullMQ. Whoever runs the jobs also schedules the recurring ones
// (RecurringJobs).
import { type Duration, Effect, Layer } from "effect"
import { JobProcessors } from "../JobProcessors.ts"
import { JobQueue, withTestProcessorsWhenEnabled } from "../JobQueue.ts"
import { JobRunner } from "../JobRunner.ts"
import * as ActorBudgetWriter from "./ActorBudgetWriter.ts"
import { FollowUpJobs } from "./FollowUpJobs.ts"
import * as ProcessorServices from "./ProcessorServices.ts"
import * as RecurringJobs from "./RecurringJobs.ts"

/** FollowUpJobs straight through the JobQueue (worker, production server). */
export const followUpsFromQueue: Layer.Layer<FollowUpJobs, never, JobQueue> = Layer.effect(
  FollowUpJobs,
  Effect.map(Effect.service(JobQueue), FollowUpJobs.fromQueue)
)

/** Binds the built JobQueue to a `FollowUpJobs.layerDeferred`. */
export const bindFollowUps: Layer.Layer<never, never, FollowUpJobs | JobQueue> = Layer.effectDiscard(
  Effect.gen(function* () {
    const followUps = yield* FollowUpJobs
    yield* followUps.bind(yield* JobQueue)
  })
)

/**
 * The embedded profile's JobQueue: every processor on the in-process queue, the follow-up enqueueing bound to that
 * queue once it exists, and the recurring jobs ticking. Needs the cluster (Sharding) for the actor's client.
 */
export const embeddedQueue = (options: { readonly recurring?: boolean } = {}) => {
  const services = ProcessorServices.layer({ writer: ActorBudgetWriter.layer, followUps: FollowUpJobs.layerDeferred })
  const queue = JobQueue.layerInProcessWith({}).pipe(
    Layer.provide(JobRunner.layer),
    Layer.provide(withTestProcessorsWhenEnabled(JobProcessors.layerPipeline)),
    Layer.provide(services)
  )
  const extras = options.recurring === false ? bindFollowUps : Layer.merge(bindFollowUps, RecurringJobs.layer())
  // The same FollowUpJobs.layerDeferred (layers are shared within a build) is bound to the queue the processors use.
  return extras.pipe(Layer.provideMerge(queue), Layer.provide(FollowUpJobs.layerDeferred))
}

/**
 * The worker's JobProcessors: every processor, follow-ups and recurring jobs through the BullMQ JobQueue, versions
 * through the actors (answering within `actorTimeout`). Needs the process's SqlClient, ProjectEventLog, JobRepo, Redis,
 * AppConfig and a cluster client (Sharding, see ActorCluster.layerClient).
 */
export const workerProcessors = (
  options: { readonly recurring?: boolean; readonly actorTimeout?: Duration.Input | undefined } = {}
) => {
  const queue = JobQueue.layerBullMQ
  const services = ProcessorServices.layer({
    writer: ActorBudgetWriter.layerWith({ timeout: options.actorTimeout }),
    followUps: followUpsFromQueue.pipe(Layer.provide(queue))
  })
  const processors = withTestProcessorsWhenEnabled(JobProcessors.layerPipeline).pipe(Layer.provide(services))
  return options.recurring === false
    ? processors
    : Layer.merge(processors, RecurringJobs.layer().pipe(Layer.provide(queue)))
}
